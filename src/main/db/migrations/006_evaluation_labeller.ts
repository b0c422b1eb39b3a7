import type { Migration } from '../migrate'

export const m006_evaluation_labeller: Migration = {
  version: 6,
  name: 'evaluation_labeller',
  up: `
-- Which labeller made an evaluation's classifier labels: 'tfidf' (the built-in TF-IDF classifiers)
-- or 'mentalbert' (the benchmark's MentalBERT classifiers through ONNX Runtime; the folder is in
-- the report's labeller.modelPath). NULL: no labeller ran (no classifier for any dataset).
ALTER TABLE evaluations ADD COLUMN labeller TEXT;
-- Evaluations stored before this column: only the TF-IDF classifiers existed.
UPDATE evaluations SET labeller = 'tfidf'
  WHERE json_valid(report) AND EXISTS (SELECT 1 FROM json_each(report, '$.datasets') d WHERE json_type(d.value, '$.classifier') = 'object');
`
}
