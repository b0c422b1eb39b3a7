import { resolve } from 'node:path'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'

/**
 * `npm run dev` only: the dev server injects an inline React-refresh preamble and talks to its
 * HMR WebSocket, which the app's strict CSP forbids. Built files (npm run build) keep the strict CSP.
 */
const devCsp: Plugin = {
  name: 'imhi-dev-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace("connect-src 'self'", "connect-src 'self' ws: http://localhost:*")
}

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/electron/index.ts'),
          // The inference worker thread (owns llama.cpp), loaded by src/main/inference/client.ts.
          'inference-worker': resolve(__dirname, 'src/main/inference/worker/index.ts'),
          // The ONNX Runtime worker thread (owns the ONNX sessions), loaded by src/main/inference/engines/onnx/client.ts.
          'onnx-worker': resolve(__dirname, 'src/main/inference/engines/onnx/worker.ts')
        }
      }
    }
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    base: './',
    plugins: [react(), devCsp],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } }
    }
  }
})
