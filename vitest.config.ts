import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Timeouts only catch a hang (every wait inside a test is a bounded poll of its own; speed is checked by
    // `npm run bench`, never by a test). On a loaded 2-core machine the slowest end-to-end tests, a dozen CLI
    // runs each, took 61 s against ~20 s idle (CI log of 2026-11-27), so 60 s failed healthy tests: 3 minutes.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Integration tests start real daemons and processes; two workers fit this 2-core machine.
    maxWorkers: 2,
    // Files and the tests in each run in a new random order every time, so a test that leans on another's
    // leftovers fails. Vitest prints the order's seed ("Running tests with seed …"); replay it with
    // `npm test -- --sequence.seed=N`.
    sequence: { shuffle: true },
  },
});
