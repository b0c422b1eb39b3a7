import type { Migration } from '../migrate'

export const m009_cross_fit: Migration = {
  version: 9,
  name: 'cross_fit',
  up: `
-- Cross-fitted labelling (evaluation/crossfit.ts): where a dataset's label classifier had to learn
-- from the test posts themselves (CAMS, loneliness, t-sid, swmh: no training data released), the
-- models of its cross-validation folds and which posts each fold held out, so that each test post
-- is labelled by a model that never saw it. NULL for classifiers trained on training data.
ALTER TABLE label_classifiers ADD COLUMN cross_fit TEXT;
`
}
