// Mutation testing of the link's state machine alone: `npm run mutate:machine`. The shared settings are those of
// stryker.config.mjs; this run differs in the file it mutates, the tests it runs (vitest.mutate.machine.config.ts)
// and where it keeps its results, so that its incremental file is not mixed with the whole-engine run's, whose
// test set is different.
import base from './stryker.config.mjs'

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.mutate.machine.config.ts' },
  mutate: ['src/core/link/machine.ts'],
  incrementalFile: 'reports/stryker-incremental-machine.json',
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation-machine/index.html' },
  jsonReporter: { fileName: 'reports/mutation-machine/mutation.json' },
}
