// Builds the browser console: `npm run build:web` (root: web/, output: web/dist, served by the service at /console/).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The service's CSP forbids inline script; Vite's preload polyfill would otherwise be the only reason for one.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // React and the query cache change rarely: one long-cached vendor chunk shared by every page.
        manualChunks: { react: ['react', 'react-dom', '@tanstack/react-query'] },
      },
    },
  },
  server: {
    // `vite --config web/vite.config.ts` during development: the API comes from a running service.
    proxy: { '/console/api': process.env.IMAGESHARE_URL ?? 'http://127.0.0.1:9292' },
  },
});
