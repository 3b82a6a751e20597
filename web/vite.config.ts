import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The browser UI, built into web/dist and served by the API process (src/api/ui.ts).
// `npm run dev:web` serves it with hot reload and forwards the API to `npm start` on :3000.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // glide-data-grid is one large module; the warning would only repeat that.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/v1': 'http://localhost:3000' },
  },
});
