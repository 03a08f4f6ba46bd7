// `npm run mutate:desk`: a true figure for src/core/desk/request-desk.ts. The main configuration's per-test
// coverage under-credits this file (see vitest.mutate-desk.config.ts); here every mutant runs all the tests that
// drive the desk. Its own incremental file, so these results never mix with the per-test ones.
// Another file of the desk: `npm run mutate:desk -- --mutate src/core/desk/state-core.ts`.
import base from './stryker.config.mjs'

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.mutate-desk.config.ts' },
  coverageAnalysis: 'all',
  mutate: ['src/core/desk/request-desk.ts'],
  incrementalFile: 'reports/stryker-incremental-desk.json',
  htmlReporter: { fileName: 'reports/mutation-desk/index.html' },
  // Every mutant runs the whole set (≈ 6 s alone, 10–15 s on a loaded machine). Stryker's default budget (5 s more
  // than the first run's time) then times out mutants that merely ran slowly, and a timeout counts as killed;
  // 20 s more keeps the figure true. A mutant that really loops costs that much longer, and there are few.
  timeoutMS: 20_000,
}
