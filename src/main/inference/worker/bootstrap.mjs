// Entry of the inference worker when the app runs from its TypeScript sources (the CLI, `imhi
// serve`, the tests): registers tsx in this thread, then loads the worker. The electron-vite build
// bundles worker/index.ts as out/main/inference-worker.js instead.
import { register } from 'tsx/esm/api'

register()
await import('./index.ts')
