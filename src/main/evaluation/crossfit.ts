/**
 * Cross-fitted labelling. CAMS, loneliness, t-sid and swmh have no released training data, so
 * their label classifier learns from the gold explanations of the test posts themselves (and the
 * expert explanations). Labelling a model's explanation of such a post with that classifier leans
 * toward the post's gold label: an in-sample figure. Instead each post that the classifier learned
 * from is labelled by the model of the cross-validation fold that held the post out (the same
 * post-grouped folds as its out-of-fold test score), so no label comes from a model that saw the
 * post. Posts it never learned from are labelled by the model trained on all rows.
 *
 * A row's post is found by its post text (a run's item; for a completion-form item also its
 * instruction form), else by its golden explanation (an output file's goldens column).
 */
import { goldExplanation } from '../imhi/labels'
import { crossFitKey, explanationKey, postGroup, type CrossFit, type LabelClassifier, type LabelModel } from './classifier'

/**
 * How a row was labelled:
 * - out_of_fold: its post is among the classifier's training rows; labelled by the fold model that held it out;
 * - not_in_training: its post (or golden) is not among them; labelled by the model trained on all rows;
 * - unknown: nothing tells which post it is (no post, no golden); labelled by the model trained on
 *   all rows, which may have learned from it: its label can be in-sample.
 */
export type HeldOutStatus = 'out_of_fold' | 'not_in_training' | 'unknown'

export interface RowIdentity {
  /** The post (a run's item), and for a completion-form item also its instruction form. */
  posts?: readonly string[]
  /** The golden response (an output file's goldens column). */
  golden?: string | null
}

/** The fold that held this row's post out, or why there is none. */
export function foldOf(cf: CrossFit, row: RowIdentity): { fold: number; status: 'out_of_fold' } | { fold: null; status: 'not_in_training' | 'unknown' } {
  const posts = (row.posts ?? []).filter((p) => p && p.trim())
  for (const p of posts) {
    const f = cf.posts[crossFitKey(postGroup(p))]
    if (f !== undefined) return { fold: f, status: 'out_of_fold' }
  }
  const golden = row.golden?.trim() ? row.golden : null
  if (golden) {
    const explanation = goldExplanation(golden)
    const f = explanation ? cf.explanations[explanationKey(explanation)] : undefined
    if (f !== undefined) return { fold: f, status: 'out_of_fold' }
  }
  return { fold: null, status: posts.length > 0 || golden ? 'not_in_training' : 'unknown' }
}

export interface CrossFittedLabel {
  label: string
  probability: number
  /** The fold model that labelled it, or null for the model trained on all rows. */
  fold: number | null
  heldOut: HeldOutStatus
}

/** Labels rows with the fold models of `cf` where a row's post was trained on, else with `full`. */
export class CrossFittedLabeller {
  private readonly folds: (LabelClassifier | null)[]
  constructor(
    private readonly full: LabelClassifier,
    private readonly cf: CrossFit,
    /** Makes a classifier of a fold model (the same features as `full`: TF-IDF, or TF-IDF + the embeddings it reads). */
    wrap: (model: LabelModel) => LabelClassifier
  ) {
    this.folds = cf.models.map((m) => (m ? wrap(m) : null))
  }

  label(text: string, question: string | null | undefined, row: RowIdentity): CrossFittedLabel {
    const where = foldOf(this.cf, row)
    const model = where.fold !== null ? this.folds[where.fold] : null
    if (where.fold !== null && model) return { ...model.label(text, question), fold: where.fold, heldOut: 'out_of_fold' }
    // A fold without a model held out no rows, so a post found in it cannot occur; the full model is the safe answer.
    return { ...this.full.label(text, question), fold: null, heldOut: where.status === 'out_of_fold' ? 'unknown' : where.status }
  }
}
