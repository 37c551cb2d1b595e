import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The browser test builds the page and starts PostgreSQL, the emulator, the server and Chromium.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
