// Mutation testing of the engine's rule-bearing modules: `npm run mutate` (all of them, slow) or
// `npm run mutate -- --mutate src/core/config.ts` (one file). Not part of `npm test`.
//
// Stryker 9.6.1 is pinned because 10.x needs Node 22 and this project runs on Node 20.
// perTest coverage: each mutant runs only the tests that executed its code, which is what makes a run
// affordable. Incremental mode keeps the results in reports/ (gitignored): a re-run only tests mutants whose
// code or covering tests changed, and keeps the other files' results, so a one-file run still prints them.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/core/desk/*.ts',
    'src/core/feed/parse.ts',
    'src/core/feed/reconcile.ts',
    'src/core/config.ts',
    'src/core/alerts/safe-text.ts',
    'src/core/alerts/compose.ts',
    'src/core/link/backoff.ts',
    'src/core/outbox/*.ts',
    'src/core/history/*.ts',
    'src/core/alert-path/**/*.ts',
    'src/core/health/alert-path-alarm.ts',
    '!src/core/alert-path/command-runner.ts',
    '!src/core/alert-path/os-query.ts',
    'src/core/link/join-window.ts',
    'src/core/link/machine.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  // Two cores shared with everything else; more test-runner processes only slow each other down.
  concurrency: 1,
  // Type errors in a mutant are not interesting here: the mutant is simply reported as a compile error.
  checkers: [],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 85, low: 70, break: null },
}
