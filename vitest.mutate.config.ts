// The vitest configuration Stryker uses (`npm run mutate`): only the fast unit tests that reach the engine's
// rule-bearing modules. Backend, integration, UI and e2e suites start servers and browsers; running them for
// each of thousands of mutants would take hours and make timing-sensitive tests flaky, so they are left out.
// store.test.ts is left out too: it measures throughput, which a mutant's instrumentation slows down.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/core/**/*.test.ts', 'test/unit/feed/**/*.test.ts', 'test/unit/link/**/*.test.ts', 'test/unit/alerts/**/*.test.ts', 'test/unit/alert-path/**/*.test.ts'],
    exclude: ['test/unit/core/store.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // Stryker runs one worker per mutant sandbox; a second vitest worker there only fights for the CPU.
    maxWorkers: 1,
  },
})
