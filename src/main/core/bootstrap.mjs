// Entry of a core worker thread when the app runs from its TypeScript sources (`imhi serve` in a
// checkout, the tests): registers tsx in this thread, then loads the core. The electron-vite build
// bundles thread.ts as out/main/core-thread.js instead.
import { register } from 'tsx/esm/api'

register()
await import('./thread.ts')
