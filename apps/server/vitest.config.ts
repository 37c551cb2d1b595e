import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // End-to-end files each start PostgreSQL databases, an emulator and the server.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
