/**
 * Confusion matrix over string labels. Rows are gold labels, columns predicted labels, in the
 * order given (scikit-learn's confusion_matrix(y_true, y_pred, labels=...) layout).
 */
export interface ConfusionMatrix {
  labels: string[]
  /** matrix[i][j] = number of items with gold labels[i] predicted as labels[j]. */
  matrix: number[][]
}

export function confusionMatrix(gold: readonly string[], pred: readonly string[], labels: readonly string[]): ConfusionMatrix {
  if (gold.length !== pred.length) throw new Error(`confusionMatrix: ${gold.length} gold labels but ${pred.length} predictions`)
  const index = new Map(labels.map((l, i) => [l, i]))
  const matrix = labels.map(() => labels.map(() => 0))
  for (let k = 0; k < gold.length; k++) {
    const i = index.get(gold[k])
    const j = index.get(pred[k])
    if (i === undefined || j === undefined) continue
    matrix[i][j]++
  }
  return { labels: [...labels], matrix }
}
