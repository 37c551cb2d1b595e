import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dev server proxies the API so the page calls it same-origin, as it does when the server
// serves the built page: no CORS setup in development. CALSYNC_API_URL points it elsewhere.
const api = process.env.CALSYNC_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/trpc': { target: api, changeOrigin: true } },
  },
  build: { outDir: 'dist', emptyOutDir: true },
});
