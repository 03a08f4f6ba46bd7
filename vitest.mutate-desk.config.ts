// The vitest configuration of `npm run mutate:desk`: request-desk.ts measured with coverageAnalysis 'all'.
// Much of the desk's work runs in afterCommit, after the group commit, in a later task than the call that caused
// it; Stryker's per-test coverage does not credit that code to the test that ran it, so under 'perTest' those
// mutants are tried against the wrong tests and the score is only a floor. Under 'all' every mutant runs every
// included test, so the set is kept to the tests that drive the desk (≈ 6 s a run): the desk's own files, the
// desk rules, the history and retract-reason tests (they read what the desk emits on a removal) and the engine's
// event path (the desk wired to the feed).
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'test/unit/core/desk/**/*.test.ts',
      'test/unit/core/desk.rules.test.ts',
      'test/unit/core/history.test.ts',
      'test/unit/core/retract-why.test.ts',
      'test/unit/core/engine-event-path.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
    // Stryker runs one worker per mutant sandbox; a second vitest worker there only fights for the CPU.
    maxWorkers: 1,
  },
})
