import type { Migration } from '../migrate'

export const m003_evaluation: Migration = {
  version: 3,
  name: 'evaluation',
  up: `
-- the evaluation domain's tables
`
}
