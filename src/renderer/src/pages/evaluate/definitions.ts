/** The definitions shown in the app (and in docs/evaluation.md). */
export const DEFINITIONS: { term: string; text: string }[] = [
  {
    term: 'Label extraction (rule-based)',
    text: 'The predicted label is read from the label sentence (the text before "Reasoning:"), else from the first two sentences; class names and synonyms for multi-class datasets, a leading yes/no or a negation for yes/no datasets. Nothing found = OOD. The gold label is read the same way from the golden response; rows without one are left out (and counted), never misaligned.'
  },
  {
    term: 'OOD',
    text: 'A response whose label could not be found. Two conventions, chosen on the Metrics tab (CLI: --ood). Workbench (default): an extra class "ood", always wrong; as in scikit-learn with that extra value, it enters the macro average (F1 0) when it occurs and weighs nothing in the weighted average. Benchmark: the class IMHI.py gives it, its class 0 ("no" on the yes/no datasets, "none" on CAMS, t-sid and swmh; SAD: class 8, "other stress causes"); it is then right whenever that is the gold label, and the averages run over the real classes only.'
  },
  {
    term: 'IMHI.py rules',
    text: 'IMHI.py\'s calculate_f1 (--rule_calculate) as released, quirks included: the text before "Reasoning:" (case-sensitive), lower-cased, the first of a fixed list of substrings ("no" matches "know", "yes" matches "eyes"); a response naming nothing is class 0 (SAD 8) and counted as OOD; a golden naming nothing leaves the two label lists of different lengths and scikit-learn refuses them, so the dataset gets no number, with the reason (swmh drops the response too). Numbers in percent, rounded as Python\'s round(x, 2), shown as it prints them.'
  },
  { term: 'Accuracy', text: 'Share of scored rows whose predicted label equals the gold label (sklearn accuracy_score).' },
  {
    term: 'Precision / recall / F1 per class',
    text: 'precision = tp / predicted, recall = tp / support, F1 = 2·tp / (support + predicted); a 0/0 is 0 (sklearn zero_division default).'
  },
  { term: 'Macro F1', text: 'Unweighted mean of per-class F1 over the labels present in gold or predictions (sklearn average="macro").' },
  { term: 'Weighted F1', text: 'Mean of per-class F1 weighted by gold support (sklearn average="weighted").' },
  { term: 'Micro F1', text: 'F1 of summed tp / predicted / support over classes (sklearn average="micro"); equals accuracy here.' },
  {
    term: 'Classifier labels',
    text: 'One TF-IDF (word 1–2 grams, plus the closing sentence) + multinomial logistic regression model per dataset, trained on gold explanations with the label sentence removed; it labels the whole generated response. Held-out and test scores are measured on rows it was not trained on. Or, with the MentalBERT labeller, the benchmark\'s own classifiers (one fine-tuned MentalBERT per dataset, converted to ONNX) applied as label_inference.py applies them: the whole response, cut to 512 tokens, batches of 8, argmax of the logits.'
  },
  {
    term: 'label_inference.py --calculate',
    text: 'The numbers the benchmark\'s labelling script prints for MentalBERT labels: the gold label read from the golden before "Reasoning:" by its substring tests (so "I do not know" counts as no), accuracy and weighted/micro/macro F1 from sklearn, each round(100·x, 2). Where a golden matches no label the script drops only the gold (swmh: the pair), the two lists differ in length and sklearn refuses: the workbench then says the script fails there and gives no number.'
  },
  {
    term: 'Cross-fitted labels',
    text: 'CAMS, loneliness, t-sid and swmh have no released training data, so their classifier learns from the test posts\' own gold explanations. A model\'s explanation of such a post is labelled by the model of the 5-fold split (folds by post) that held the post out, never by a model that saw it; each row is marked out-of-fold, not trained on (a post it never learned from), or in-sample? (the post could not be told: no post and no golden to match).'
  },
  {
    term: 'BLEU',
    text: 'Hugging Face evaluate "bleu": tokenizer_13a, corpus BLEU over all pairs, n-grams up to 4, no smoothing, brevity penalty exp(1 − ref/hyp) when the output is shorter.'
  },
  {
    term: 'ROUGE-1 / 2 / L',
    text: 'Google rouge_score F-measures (lower-case, non-alphanumerics to spaces, no stemming; ROUGE-L from the longest common subsequence), averaged over pairs (plain mean).'
  },
  {
    term: 'LM score',
    text: 'Mean natural-log probability per token of the golden explanation given the generated one under a GGUF model (BARTScore/GPTScore manner). Higher is better; 0 is the maximum.'
  },
  {
    term: 'BART-score',
    text: 'As MentalLLaMA\'s score.py computes it (neulab BARTScorer with bart-large-cnn + bart_score.pth, converted to ONNX): per pair the mean natural-log likelihood per token of the golden explanation given the generated one (teacher forcing; <s> and </s> counted), both sides cut to 1,024 tokens, batches of 4; the dataset figure is the mean over pairs. An empty generated cell is scored as the text "nan", as pandas + str() make it. Higher is better.'
  },
  {
    term: 'BERTScore',
    text: 'As score.py computes it with Hugging Face evaluate\'s bertscore: contextual embeddings of one encoder layer, each token greedily matched to its most similar (cosine) token of the other text; P over the generated tokens, R over the golden ones, F1 = 2PR/(P+R); no idf (all tokens weigh 1, CLS/SEP 0), no baseline rescaling, batches of 16; the dataset figure is the mean F1.'
  },
  {
    term: 'Correlations',
    text: 'Pearson r, Spearman ρ (average ranks for ties) and Kendall τ-b of each automatic score with the mean human rating per aspect; p-values two-sided (t test for r and ρ, normal approximation with tie correction for τ-b), as scipy.stats.'
  }
]
