import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts (or connects to) PostgreSQL and migrates a fresh database in its hooks.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
