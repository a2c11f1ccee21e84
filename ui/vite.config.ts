import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

const uiRoot = fileURLToPath(new URL('.', import.meta.url))
const repoRoot = fileURLToPath(new URL('..', import.meta.url))

// `npm run build` → ui/dist, served by the collector at `/`.
// `npx vite ui` → dev server; /api is proxied to LOOPGATE_COLLECTOR_URL (default http://127.0.0.1:4318).
export default defineConfig({
  root: uiRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 400,
  },
  server: {
    fs: { allow: [repoRoot] },
    proxy: { '/api': process.env.LOOPGATE_COLLECTOR_URL ?? 'http://127.0.0.1:4318' },
  },
})
