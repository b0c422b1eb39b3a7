import type { Migration } from '../migrate'

export const m002_inference: Migration = {
  version: 2,
  name: 'inference',
  up: `
-- the inference domain's tables
`
}
