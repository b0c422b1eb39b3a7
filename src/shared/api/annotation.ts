// The annotation domain's part of the API contract: methods (input schemas + output types) and events.
import { z } from 'zod'
import { method } from './define'
import { SPLITS } from '../imhi/datasets'

/** One rated aspect: a key (CSV column), a label, an integer scale and one rubric line per score. */
export interface AspectDef {
  key: string
  label: string
  min: number
  max: number
  /** rubric[i] describes score min + i. */
  rubric: string[]
}

/** The four aspects of the IMHI human evaluation (MentalLLaMA), 0-3 as in the released DR ratings. */
export const DEFAULT_ASPECTS: readonly AspectDef[] = [
  {
    key: 'fluency',
    label: 'Fluency',
    min: 0,
    max: 3,
    rubric: [
      '0 — unreadable: broken, incoherent or mostly not language',
      '1 — hard to read: frequent grammar errors or confusing sentences',
      '2 — readable: a few errors that do not block understanding',
      '3 — fluent: well formed and easy to read'
    ]
  },
  {
    key: 'completeness',
    label: 'Completeness',
    min: 0,
    max: 3,
    rubric: [
      '0 — no explanation of the decision at all',
      '1 — mentions the decision but hardly supports it with the post',
      '2 — supports the decision with some evidence from the post, missing important points',
      '3 — fully explains the decision with the relevant evidence from the post'
    ]
  },
  {
    key: 'reliability',
    label: 'Reliability',
    min: 0,
    max: 3,
    rubric: [
      '0 — wrong or made up: contradicts the post or invents facts',
      '1 — largely unreliable: several claims the post does not support',
      '2 — mostly reliable: minor unsupported claims',
      '3 — reliable: every claim is grounded in the post and sound'
    ]
  },
  {
    key: 'overall',
    label: 'Overall',
    min: 0,
    max: 3,
    rubric: [
      '0 — unacceptable: useless or harmful as an explanation',
      '1 — poor: major problems',
      '2 — acceptable: useful with some problems',
      '3 — good: a correct, complete, fluent explanation'
    ]
  }
]

export const DEFAULT_GUIDELINES = [
  'You will read a social-media post and an explanation of a mental-health analysis of it (for example, whether the poster shows signs of depression, and why).',
  'Rate the explanation, not the post and not the poster. You do not know which system or person wrote it; do not try to guess.',
  'Rate each aspect on its own, using the rubric shown under the scale. Use the whole scale.',
  'Flag (F) anything that needs the study lead\u2019s attention, and add a note (N) when a rating needs a reason. Skip (S) an item you cannot rate now.',
  'These posts can be distressing. Take breaks; you can stop at any time and resume later exactly where you left off.',
  'This is research annotation, not clinical assessment: nothing you rate is a diagnosis.'
].join('\n\n')

/** Point labels of the common Likert scales, "1 — very poor" ... (the study may rewrite them). */
export const LIKERT_LABELS: Record<number, string[]> = {
  5: ['very poor', 'poor', 'fair', 'good', 'very good'],
  7: ['very poor', 'poor', 'somewhat poor', 'fair', 'somewhat good', 'good', 'very good']
}

/**
 * The four IMHI aspects on another integer scale: 0-3 keeps the IMHI rubric; a 5- or 7-point
 * scale gets the Likert point labels; any other scale gets none (write them on the Guidelines tab).
 */
export function defaultAspectsOn(min: number, max: number): AspectDef[] {
  return DEFAULT_ASPECTS.map((a) => {
    if (min === a.min && max === a.max) return { ...a, rubric: [...a.rubric] }
    const labels = LIKERT_LABELS[max - min + 1]
    return { ...a, min, max, rubric: labels ? labels.map((l, i) => `${min + i} — ${l}`) : [] }
  })
}

const aspectSchema = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'aspect keys are lower-case letters, digits and _ (max 32)'),
    label: z.string().min(1).max(64),
    min: z.number().int().min(0).max(10),
    max: z.number().int().min(1).max(10),
    /** One label per point (rubric[i] describes min + i); fewer is allowed, more is not. */
    rubric: z.array(z.string().max(500)).max(11)
  })
  .strict()
  .refine((a) => a.max > a.min, { message: 'max must be above min' })
  .refine((a) => a.rubric.length <= a.max - a.min + 1, { message: 'more rubric lines than points on the scale' })

/** Where a study's explanations come from. */
export const studySourceSchema = z.discriminatedUnion('kind', [
  /** The benchmark's gold explanations (the text after "Reasoning:") of a dataset's split. */
  z.object({ kind: z.literal('gold'), dataset: z.string().min(1).max(64), split: z.enum(SPLITS) }).strict(),
  /** The expert-written explanations (human_evaluation/test_instruction_expert), one dataset or all. */
  z.object({ kind: z.literal('expert'), dataset: z.string().min(1).max(64).optional() }).strict(),
  /** A model run's explanations. */
  z.object({ kind: z.literal('run'), runId: z.number().int().positive() }).strict()
])
export type StudySource = z.infer<typeof studySourceSchema>

const id = z.number().int().positive()
const annotatorName = z.string().trim().min(1).max(64)

export interface StudySummary {
  id: number
  uid: string
  name: string
  origin: 'created' | 'imported' | 'package'
  items: number
  annotators: number
  annotatorsPerItem: number
  /** Ratings given / ratings expected (items x assigned annotators x aspects). */
  ratings: number
  expected: number
  createdAt: string
}

export interface StudyAnnotatorProgress {
  id: number
  uid: string
  name: string
  ordinal: number
  /** Items in this annotator's queue. */
  assigned: number
  /** Items with every aspect rated. */
  done: number
  ratings: number
  flagged: number
  skipped: number
  seconds: number
  /** Queue position (0-based) the annotator resumes at. */
  resumeAt: number
}

export interface StudyDetail extends StudySummary {
  guidelines: string
  aspects: AspectDef[]
  seed: number
  breakMinutes: number
  spec: unknown
  sources: { source: string; items: number }[]
  annotatorProgress: StudyAnnotatorProgress[]
}

export interface AnnotatorProfile {
  id: number
  uid: string
  name: string
  /** This annotator's token for `imhi serve` on a LAN (owner only). */
  token: string
  studies: number
  ratings: number
}

export interface CandidateSources {
  gold: { dataset: string; split: string; items: number }[]
  expert: { dataset: string; items: number }[]
  runs: { id: number; name: string; modelFile: string; explanations: number; status: string }[]
}

/** A queue entry: no source, no dataset (blinded). */
export interface QueueEntry {
  studyItemId: number
  queuePos: number
  rated: number
  done: boolean
  flagged: boolean
  skipped: boolean
}

export interface AnnotatorQueue {
  study: { id: number; name: string; guidelines: string; aspects: AspectDef[]; breakMinutes: number }
  annotator: { id: number; name: string }
  entries: QueueEntry[]
  resumeAt: number
}

/** What the rating screen shows for one item (blinded: no source, no dataset, no label). */
export interface RatingItem {
  studyItemId: number
  queuePos: number
  post: string
  explanation: string
  /** Concerns suicide or self-harm: show the content notice first. */
  sensitive: boolean
  scores: Record<string, number>
  flagged: boolean
  skipped: boolean
  note: string
  seconds: number
}

export interface RateResult {
  studyItemId: number
  aspect: string
  score: number | null
  /** Every aspect of this item is rated by this annotator. */
  itemDone: boolean
  ratedAt: string
}

export interface AnnotationImportReport {
  file: string
  layout: 'imhi' | 'long'
  studyId: number
  studyName: string
  items: number
  annotators: string[]
  ratings: number
  source: string
}

export interface ExportReport {
  path: string | null
  /** The CSV text when no path was given (browser download). */
  text: string | null
  rows: number
  format: 'imhi' | 'long' | 'adjudicated'
}

/** One entry of the lead's review lists (not blinded: the lead sees the source). */
export interface ReviewEntry {
  studyItemId: number
  item: string
  source: string
  excerpt: string
  /** Who flagged / wrote a note / skipped (the lists of flagged items, notes, skipped items). */
  annotator?: string
  note?: string
  /** Largest score range over the item's aspects (disagreements list). */
  range?: number
  /** The aspect with that range, and the scores on it by annotator (on the first 200 entries). */
  aspect?: string
  scores?: Record<string, number>
  adjudicated: boolean
}

export interface ReviewLists {
  studyId: number
  flagged: ReviewEntry[]
  notes: ReviewEntry[]
  skipped: ReviewEntry[]
  disagreements: ReviewEntry[]
  /** Items with at least one adjudicated aspect / items in the study. */
  adjudicatedItems: number
  items: number
}

export interface AdjudicationView {
  aspect: string
  score: number
  /** The lead kept this annotator's score. */
  keptAnnotator: string | null
  reason: string
  lead: string
  decidedAt: string
}

/** Everything about one item side by side: the lead's review view. */
export interface ReviewItem {
  studyId: number
  studyItemId: number
  item: string
  post: string
  explanation: string
  source: string
  dataset: string | null
  label: string | null
  aspects: AspectDef[]
  annotators: {
    id: number
    name: string
    scores: Record<string, number>
    note: string
    flagged: boolean
    skipped: boolean
    seconds: number
    ratedAt: string | null
  }[]
  spread: Record<string, { n: number; mean: number | null; sd: number | null; range: number | null }>
  adjudications: Record<string, AdjudicationView>
  /** Send it back with an adjudication: a decision made meanwhile by someone else is a conflict. */
  revision: number
}

/** The charts of a study (study page → Charts). */
export interface StudyCharts {
  aspects: AspectDef[]
  annotators: string[]
  /** counts[aspect][annotator][score - min]. */
  distributions: Record<string, Record<string, number[]>>
  /** Per aspect: point estimates on the raw ratings and bootstrap 95% intervals (items resampled). */
  agreement: {
    aspect: string
    metric: 'krippendorff_alpha_interval' | 'krippendorff_alpha_ordinal'
    estimate: number | null
    low: number | null
    high: number | null
    /** Resamples in which the figure was defined. */
    resamples: number
  }[]
  bootstrap: { resamples: number; seed: number }
  /** Seconds per item and annotator (items with time recorded). */
  times: { annotator: string; seconds: number }[]
  /** Cumulative ratings per annotator over time (one point per hour with ratings). */
  progress: { annotator: string; at: string; ratings: number }[]
}

export interface MergeConflict {
  item: string
  /** An aspect key, or "note". */
  field: string
  annotator: string
  mine: number | string
  theirs: number | string
}

export interface MergeReport {
  file: string
  studyId: number
  studyName: string
  /** The study did not exist here and was created from the package. */
  created: boolean
  annotator: string
  added: number
  unchanged: number
  /** Conflicts resolved by this call (with the user's word). */
  resolved: number
  /** Conflicts left as they were: nothing was overwritten. */
  conflicts: MergeConflict[]
}

export interface AgreementFigures {
  krippendorff_alpha_interval: number | null
  krippendorff_alpha_ordinal: number | null
  krippendorff_alpha_nominal: number | null
  fleiss_kappa: number | null
  /** Items that entered Fleiss' kappa (those with the most common number of ratings). */
  fleiss_items: number
  /** Items with at least one rating on this aspect. */
  items: number
  /** Annotators with at least one rating on this aspect. */
  annotators: number
  ratings: number
  mean: number | null
  cohen_quadratic: { a: string; b: string; kappa: number | null; items: number }[]
  /** Mean of the pairwise kappas that are defined. */
  cohen_quadratic_mean: number | null
}

export interface AgreementResult {
  aspects: Record<string, AgreementFigures>
  pooled: { krippendorff_alpha_interval: number | null; krippendorff_alpha_ordinal: number | null; units: number; annotators: number }
  disagreements: {
    item: string
    aspect: string
    scores: Record<string, number>
    spread: { n: number; mean: number | null; sd: number | null; range: number | null }
    /** The start of the post and the explanation's source (lead's view, not blinded). */
    excerpt?: string
    source?: string
  }[]
}

const resolution = z.enum(['mine', 'theirs'])

export const annotationMethods = {
  'annotation.studies': method<StudySummary[]>()(z.object({}).strict()),
  'annotation.study': method<StudyDetail>()(z.object({ studyId: id }).strict()),
  'annotation.candidates': method<CandidateSources>()(z.object({}).strict()),
  'annotation.createStudy': method<StudyDetail>()(
    z
      .object({
        name: z.string().trim().min(1).max(200),
        sources: z.array(studySourceSchema).min(1).max(64),
        /** Posts per source (all when omitted), drawn in one seeded order so that overlapping sources share their posts. */
        sampleSize: z.number().int().positive().max(100_000).optional(),
        seed: z.number().int().min(0).max(4294967295).optional(),
        annotatorsPerItem: z.number().int().min(1).max(50).default(3),
        annotators: z.array(annotatorName).min(1).max(200),
        guidelines: z.string().max(50_000).optional(),
        /** The aspects and their scales (default: the four IMHI aspects, 0-3). Frozen once rating starts. */
        aspects: z.array(aspectSchema).min(1).max(20).optional(),
        /** Extra aspects after the four default ones (or after `aspects`). */
        extraAspects: z.array(aspectSchema).max(16).default([]),
        breakMinutes: z.number().int().min(0).max(600).default(45),
        /**
         * One text form for every explanation shown (blinding): "reasoning" removes the label sentence
         * from all sources, "full" keeps it in all. Recorded in the study's spec.
         */
        explanationForm: z.enum(['reasoning', 'full']).default('reasoning')
      })
      .strict()
  ),
  'annotation.updateStudy': method<StudyDetail>()(
    z
      .object({
        studyId: id,
        name: z.string().trim().min(1).max(200).optional(),
        guidelines: z.string().max(50_000).optional(),
        aspects: z.array(aspectSchema).min(1).max(20).optional(),
        breakMinutes: z.number().int().min(0).max(600).optional()
      })
      .strict()
  ),
  'annotation.annotators': method<AnnotatorProfile[]>()(z.object({}).strict()),
  // The lead's review and adjudication (owner only: an annotator's token gets 403).
  'annotation.review': method<ReviewLists>()(
    z
      .object({
        studyId: id,
        limit: z.number().int().min(1).max(5000).default(200),
        /** Only this list (the others come back empty): what the review view pages through. */
        only: z.enum(['flagged', 'notes', 'skipped', 'disagreements']).optional()
      })
      .strict()
  ),
  /** The items of one review list in its order, ids only (what the review view pages through). */
  'annotation.reviewOrder': method<{ list: string; studyItemIds: number[] }>()(
    z.object({ studyId: id, list: z.enum(['flagged', 'notes', 'skipped', 'disagreements']) }).strict()
  ),
  'annotation.reviewItem': method<ReviewItem>()(z.object({ studyId: id, studyItemId: id }).strict()),
  'annotation.adjudicate': method<ReviewItem>()(
    z
      .object({
        studyId: id,
        studyItemId: id,
        /** Who decides (shown with the decision and exported). */
        lead: z.string().trim().min(1).max(64),
        reason: z.string().trim().min(1, 'give a reason for the decision').max(5000),
        /** The item's revision the lead saw (ReviewItem.revision). */
        revision: z.number().int().min(0),
        decisions: z
          .array(
            z.union([
              z.object({ aspect: z.string().min(1).max(32), score: z.number().int().min(0).max(100) }).strict(),
              z.object({ aspect: z.string().min(1).max(32), keep: id }).strict()
            ])
          )
          .min(1)
          .max(20)
      })
      .strict()
  ),
  'annotation.charts': method<StudyCharts>()(
    z.object({ studyId: id, resamples: z.number().int().min(100).max(20_000).default(1000), seed: z.number().int().min(0).max(4294967295).default(1) }).strict()
  ),
  'annotation.addAnnotator': method<StudyDetail>()(z.object({ studyId: id, name: annotatorName }).strict()),
  'annotation.agreement': method<AgreementResult>()(z.object({ studyId: id }).strict()),
  'annotation.export': method<ExportReport>()(
    z
      .object({
        studyId: id,
        format: z.enum(['imhi', 'long', 'adjudicated']),
        /** A file to write; without it the CSV comes back as text. */
        path: z.string().min(1).max(4096).optional(),
        bom: z.boolean().default(false),
        /** Only the items of one source (e.g. one imported file). */
        source: z.string().max(200).optional()
      })
      .strict()
  ),
  'annotation.import': method<AnnotationImportReport>()(
    z.object({ path: z.string().min(1).max(4096), studyName: z.string().trim().min(1).max(200).optional() }).strict()
  ),
  'annotation.exportPackage': method<{ path: string; items: number; ratings: number }>()(
    z.object({ studyId: id, annotatorId: id, path: z.string().min(1).max(4096) }).strict()
  ),
  'annotation.mergePackage': method<MergeReport>()(
    z
      .object({
        path: z.string().min(1).max(4096),
        /** Applies to every conflict; without it conflicts are only listed. */
        resolveAll: resolution.optional(),
        /** Per conflict (item + field), the user's choice. */
        resolutions: z.array(z.object({ item: z.string().max(400), field: z.string().max(64), take: resolution }).strict()).max(100_000).default([])
      })
      .strict()
  ),

  // The rating screen: an annotator's token may call these, as itself only.
  'annotation.myStudies': method<(StudySummary & { done: number; assigned: number })[]>({ annotator: true })(
    z.object({ annotatorId: id.optional() }).strict()
  ),
  'annotation.queue': method<AnnotatorQueue>({ annotator: true })(z.object({ studyId: id, annotatorId: id.optional() }).strict()),
  'annotation.item': method<RatingItem>({ annotator: true })(
    z.object({ studyId: id, annotatorId: id.optional(), studyItemId: id }).strict()
  ),
  'annotation.rate': method<RateResult>({ annotator: true })(
    z
      .object({
        studyId: id,
        annotatorId: id.optional(),
        studyItemId: id,
        aspect: z.string().min(1).max(32),
        /** null removes the score (undo of a first rating). */
        score: z.number().int().min(0).max(10).nullable(),
        /** Time spent on this item so far (seconds); the largest value sent is kept. */
        seconds: z.number().min(0).max(86_400 * 30).optional()
      })
      .strict()
  ),
  'annotation.setItemState': method<RatingItem>({ annotator: true })(
    z
      .object({
        studyId: id,
        annotatorId: id.optional(),
        studyItemId: id,
        flagged: z.boolean().optional(),
        skipped: z.boolean().optional(),
        note: z.string().max(10_000).optional(),
        seconds: z.number().min(0).max(86_400 * 30).optional()
      })
      .strict()
  )
}

export interface AnnotationEvents {
  /** A rating or an item state changed (ids only: nothing a LAN client should not see). */
  'annotation.changed': { studyId: number; annotatorId: number; studyItemId: number }
  'annotation.studiesChanged': { studyId: number }
}
