import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration tests start real daemons and processes; two workers fit this 2-core machine.
    maxWorkers: 2,
    // Files and the tests in each run in a new random order every time, so a test that leans on another's
    // leftovers fails. Vitest prints the order's seed ("Running tests with seed …"); replay it with
    // `npm test -- --sequence.seed=N`.
    sequence: { shuffle: true },
  },
});
