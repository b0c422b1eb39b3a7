// Entry of the ONNX worker when the app runs from its TypeScript sources (the CLI, `imhi serve`,
// the tests, the benches): registers tsx in this thread, then loads the worker. The electron-vite
// build bundles worker.ts as out/main/onnx-worker.js instead.
import { register } from 'tsx/esm/api'

register()
await import('./worker.ts')
