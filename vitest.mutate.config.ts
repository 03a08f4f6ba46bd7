// The vitest configuration Stryker uses (`npm run mutate`): only the fast unit tests that reach the engine's
// rule-bearing modules. Backend, integration, UI and e2e suites start servers and browsers; running them for
// each of thousands of mutants would take hours and make timing-sensitive tests flaky, so they are left out.
// store.test.ts is left out too: it measures throughput, which a mutant's instrumentation slows down.
// store-native-binding.test.ts loads better-sqlite3's build by a path under the working directory, and Stryker's
// sandbox has no node_modules of its own there when the worktree's node_modules is a symlink (modules still resolve
// from the parent directory); it tests the store's loading of a native build, not a rule.
// machine.property.test.ts is left out as well: its 400 random event sequences take about 13 s a run on this
// machine, and every one of the link machine's ~1,075 mutants would run it — hours for one file. The machine's
// transition table (every state × every event) and rule tests are what its score is measured against; the
// property test still runs in `npm test`.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/core/**/*.test.ts', 'test/unit/feed/**/*.test.ts', 'test/unit/link/**/*.test.ts', 'test/unit/alerts/**/*.test.ts', 'test/unit/alert-path/**/*.test.ts'],
    exclude: ['test/unit/core/store.test.ts', 'test/unit/core/store-native-binding.test.ts', 'test/unit/link/machine.property.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // Stryker runs one worker per mutant sandbox; a second vitest worker there only fights for the CPU.
    maxWorkers: 1,
  },
})
