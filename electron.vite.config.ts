import { resolve } from 'node:path'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'
import { PAGE_CSP, PAGE_CSP_PLACEHOLDER } from './src/shared/api/csp'

/** The page's CSP meta tag from the one definition (src/shared/api/csp.ts); the build fails without it. */
const pageCsp: Plugin = {
  name: 'imhi-page-csp',
  enforce: 'pre',
  transformIndexHtml: (html) => {
    if (!html.includes(PAGE_CSP_PLACEHOLDER)) throw new Error(`src/renderer/index.html has no ${PAGE_CSP_PLACEHOLDER} for the page's CSP`)
    return html.replace(PAGE_CSP_PLACEHOLDER, PAGE_CSP)
  }
}

/**
 * `npm run dev` only: the dev server injects an inline React-refresh preamble and talks to its
 * HMR WebSocket, which the app's strict CSP forbids. Built files (npm run build) keep the strict CSP.
 */
const devCsp: Plugin = {
  name: 'imhi-dev-csp',
  apply: 'serve',
  enforce: 'post',
  transformIndexHtml: (html) => html.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace("connect-src 'self'", "connect-src 'self' ws: http://localhost:*")
}

export default defineConfig({
  main: {
    // Pure-JS dependencies are bundled: one file loads far faster than Node resolving and parsing
    // hundreds of small modules (zod alone is ~100), which is most of a CLI command's start-up.
    // Native and large runtime packages (better-sqlite3, node-llama-cpp, onnxruntime-node, tsx) and ws
    // (its optional native helpers are required at run time) stay external.
    plugins: [externalizeDepsPlugin({ exclude: ['zod', 'commander', 'papaparse'] })],
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/electron/index.ts'),
          // The inference worker thread (owns llama.cpp), loaded by src/main/inference/client.ts.
          'inference-worker': resolve(__dirname, 'src/main/inference/worker/index.ts'),
          // The `imhi` CLI and serve mode as built JavaScript (bin/imhi.js runs it when it is newer than
          // the sources; tsx only in development).
          cli: resolve(__dirname, 'src/main/cli/main.ts'),
          // A lane of the core (the services) as a worker thread under `imhi serve` (src/main/core/thread-lanes.ts).
          'core-thread': resolve(__dirname, 'src/main/core/thread.ts'),
          // A lane of the core as an Electron utility process in the desktop app (src/main/electron/core-lanes.ts).
          'core-process': resolve(__dirname, 'src/main/electron/core-process.ts'),
          // The ONNX Runtime worker thread (owns the ONNX sessions), loaded by src/main/inference/engines/onnx/client.ts.
          'onnx-worker': resolve(__dirname, 'src/main/inference/engines/onnx/worker.ts')
        },
        // Shared chunks beside the entries, so `new URL('./inference-worker.js', import.meta.url)`
        // resolves the same from an entry or a chunk.
        output: { chunkFileNames: '[name]-[hash].js' }
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
    // `@renderer/x` is src/renderer/src/x (also in tsconfig.web.json and vitest.config.ts).
    resolve: { alias: { '@renderer': resolve(__dirname, 'src/renderer/src') } },
    plugins: [pageCsp, react(), devCsp],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } }
    }
  }
})
