import type { Migration } from '../migrate'

export const m004_annotation: Migration = {
  version: 4,
  name: 'annotation',
  up: `
-- the annotation domain's tables
`
}
