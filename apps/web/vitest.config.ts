import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The page is built once for every browser test file (they all serve the same build).
    globalSetup: ['test/support/build-page.ts'],
    // Each file starts PostgreSQL, the emulator, the server and Chromium, and some assertions are
    // about timing (a change made in Google on screen within a second): one file at a time, so
    // two files do not compete for a small CI machine's cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
