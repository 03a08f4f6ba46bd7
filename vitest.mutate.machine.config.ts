// The vitest configuration for mutating the link's state machine alone (`npm run mutate:machine`): only the
// tests that reach src/core/link/machine.ts — its transition table, rule, cause and log tests, and the
// supervisor tests that drive it (heartbeat, supervisor keys, join window). Without the ~280 other unit tests the
// dry run that precedes the mutants takes seconds instead of minutes. machine.property.test.ts is left out for the
// reason given in vitest.mutate.config.ts (about 13 s a run, for each of the file's ~1,075 mutants).
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'test/unit/link/machine.*.test.ts',
      'test/unit/link/heartbeat.test.ts',
      'test/unit/link/supervisor-keys.test.ts',
      'test/unit/link/join-window.test.ts',
    ],
    exclude: ['test/unit/link/machine.property.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    maxWorkers: 1,
  },
})
