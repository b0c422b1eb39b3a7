import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * A small synthetic IMHI folder in the MentalLLaMA layout, with the quirks a real checkout has:
 * multi-line quoted cells with embedded quotes and commas, a BOM, an unnamed index column, the
 * curie-instruct-beta explanation column, CRLF line ends, a val file, model outputs to skip.
 * The posts are invented. IMHI_FIXTURE below says what an import of it must find.
 */

type Row = readonly string[]

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v
}
function csv(header: Row, rows: readonly Row[], opts: { bom?: boolean; eol?: string } = {}): string {
  const eol = opts.eol ?? '\n'
  const text = [header, ...rows].map((r) => r.map(csvCell).join(',')).join(eol) + eol
  return (opts.bom ? '\ufeff' : '') + text
}

const instr = (post: string, question: string) => `Consider this post: "${post}" Question: ${question}`
const compl = (post: string, question: string) => `Post: ${post}  Question: ${question}`

const DR_Q = 'Does the poster suffer from depression?'
const DR_QC = 'The answer to the question "Does the poster suffers from depression?" is '
const SAD_Q = 'What is the stress cause of this post?'
const SAD_QC = 'This post shows the stress cause of '
const CAMS_Q = 'What cause of depression does this post show?'
const TSID_Q = 'What mental disorder does this post show?'
const SWMH_Q = 'What mental disorder symptoms does this post show?'
const DREADDIT_QC = 'The answer to the question "Does the poster suffers from stress?" is '

/** A multi-line post with embedded quotes and commas: only a real CSV parser reads it whole. */
export const MULTILINE_POST = 'I can\'t sleep, again.\nMy mom said "just rest", but\n\nnothing helps, nothing at all.'

const DR_POSTS = [
  { post: MULTILINE_POST, yes: true },
  { post: 'Went hiking with friends today, the weather was great and I feel rested.', yes: false },
  { post: 'Everything feels grey and pointless lately, I stopped answering my phone.', yes: true }
]
const drResponse = (yes: boolean, style: 'instr' | 'compl') =>
  style === 'instr'
    ? yes
      ? 'Yes, the poster suffers from depression. Reasoning: The post describes persistent low mood and withdrawal.'
      : 'No, the poster does not suffer from depression. Reasoning: The post describes an ordinary, pleasant day.'
    : `${yes ? 'yes' : 'no'}. Reasoning: ${yes ? 'The post describes persistent low mood and withdrawal.' : 'The post describes an ordinary, pleasant day.'}`

const SAD_ROWS: { post: string; sentence: string; short: string; label: string }[] = [
  { post: 'rent is due and my card got declined', sentence: 'This post shows the stress cause related to financial problem.', short: 'financial problem.', label: 'financial problem' },
  { post: 'I keep crying for no reason at all', sentence: 'This post shows the stress cause related to emotion turmoil.', short: 'emotional turmoil.', label: 'emotional turmoil' },
  { post: 'the traffic light outside is broken again', sentence: 'This post shows other stress causes.', short: 'other causes.', label: 'other stress causes' }
]

const CAMS_ROWS = [
  { post: 'My boss yelled at me again and I might lose this job', sentence: 'This post shows causes of depression related to jobs and career.', label: 'jobs and career' },
  { post: 'Just checking in, nothing much going on today', sentence: 'This post shows no causes of depression.', label: 'none' }
]
const TSID_ROWS = [
  { post: 'Nightmares about the accident every night since it happened', sentence: 'This post shows PTSD.', label: 'ptsd' },
  { post: 'Lovely lunch with my sister', sentence: 'This post shows no mental disorders.', label: 'none' }
]
const SWMH_ROWS = [
  { post: 'My heart races before every meeting and I cannot breathe', sentence: 'This post shows mental disorder symptoms related to anxiety.', label: 'anxiety' },
  { post: 'Weekend plans: garden and a movie', sentence: 'This post shows no mental disorder symptoms.', label: 'none' }
]

/** The other yes/no datasets: one yes and one no post each, in both test styles. */
const YES_NO_SETS = [
  {
    name: 'dreaddit',
    q: 'Does the poster suffer from stress?',
    qc: 'The answer to the question "Does the poster suffers from stress?" is ',
    yes: ['Three exams tomorrow and my landlord is evicting me, my hands are shaking', 'Yes, the poster suffers from stress.'],
    no: ['Baked bread for the neighbours this morning, it came out well', 'No, the poster does not suffer from stress.']
  },
  {
    name: 'loneliness',
    q: 'Does the poster suffer from loneliness?',
    qc: 'The answer to the question "Does the poster suffers from loneliness?" is ',
    yes: ['Nobody texted me on my birthday, the apartment is so quiet', 'Yes, the poster suffers from loneliness.'],
    no: ['Game night with the whole crew again, we laughed for hours', 'No, the poster does not suffer from loneliness.']
  },
  {
    name: 'Irf',
    q: 'Does the post show risk of thwarted belongingness?',
    qc: 'The answer to the question: "Does the post shows risk of thwarted belongingness?" is ',
    yes: ['I moved cities and nobody here would notice if I vanished', 'Yes, the post shows this risk.'],
    no: ['Asking which bike lock is best for a city commute', 'No, the post does not show this risk.']
  },
  {
    name: 'MultiWD',
    q: 'Does the social wellness dimension exist in the post?',
    qc: 'The answer to the question "Does the social wellness dimension exists in the post?" is ',
    yes: ['Joined a choir last month and the people there feel like family now', 'Yes, this wellness dimension exists in the post.'],
    no: ['Replaced the battery in my watch, it ticks again', 'No, this wellness dimension does not exist in the post.']
  }
] as const

const reason = (s: string) => `${s} Reasoning: An invented explanation, for tests only.`

const RATING_HEADER = (col: string) => ['text', 'label', col, 'fluency', 'completeness', 'reliability', 'overall']
const RATING_ROWS: Row[] = [
  ['I feel empty, every day, "all day".\nNothing changes.', '1', 'The poster shows signs of depression, "empty" feelings.', '[3, 3, 2]', '[2, 3, 2]', '[3, 2, 2]', '[3, 3, 2]'],
  ['Great game last night', '0', 'No signs of depression.', '[3, 3, 3]', '[1, 0, 2]', '[2, 2, 3]', '[2, 1, 3]']
]

/** What importing the fixture must produce: per layout-relative file, and per dataset/split/label. */
export const IMHI_FIXTURE = {
  files: {
    'test_data/test_instruction/DR.csv': { kind: 'items', dataset: 'DR', split: 'test_instruction', rows: 3 },
    'test_data/test_instruction/SAD.csv': { kind: 'items', dataset: 'SAD', split: 'test_instruction', rows: 3 },
    'test_data/test_instruction/CAMS.csv': { kind: 'items', dataset: 'CAMS', split: 'test_instruction', rows: 2 },
    'test_data/test_instruction/t-sid.csv': { kind: 'items', dataset: 't-sid', split: 'test_instruction', rows: 2 },
    'test_data/test_complete/DR.csv': { kind: 'items', dataset: 'DR', split: 'test_complete', rows: 3 },
    'test_data/test_complete/SAD.csv': { kind: 'items', dataset: 'SAD', split: 'test_complete', rows: 3 },
    'test_data/test_instruction/dreaddit.csv': { kind: 'items', dataset: 'dreaddit', split: 'test_instruction', rows: 2 },
    'test_data/test_complete/dreaddit.csv': { kind: 'items', dataset: 'dreaddit', split: 'test_complete', rows: 2 },
    'test_data/test_instruction/loneliness.csv': { kind: 'items', dataset: 'loneliness', split: 'test_instruction', rows: 2 },
    'test_data/test_complete/loneliness.csv': { kind: 'items', dataset: 'loneliness', split: 'test_complete', rows: 2 },
    'test_data/test_instruction/Irf.csv': { kind: 'items', dataset: 'Irf', split: 'test_instruction', rows: 2 },
    'test_data/test_complete/Irf.csv': { kind: 'items', dataset: 'Irf', split: 'test_complete', rows: 2 },
    'test_data/test_instruction/MultiWD.csv': { kind: 'items', dataset: 'MultiWD', split: 'test_instruction', rows: 2 },
    'test_data/test_complete/MultiWD.csv': { kind: 'items', dataset: 'MultiWD', split: 'test_complete', rows: 2 },
    'human_evaluation/test_instruction_expert/swmh.csv': { kind: 'items', dataset: 'swmh', split: 'expert', rows: 2 },
    'human_evaluation/test_instruction_expert/DR.csv': { kind: 'items', dataset: 'DR', split: 'expert', rows: 2 },
    'train_data/instruction_data/DR/train.csv': { kind: 'items', dataset: 'DR', split: 'train_instruction', rows: 3 },
    'train_data/instruction_data/DR/val.csv': { kind: 'items', dataset: 'DR', split: 'val_instruction', rows: 1 },
    'train_data/complete_data/dreaddit/dreaddit-train.csv': { kind: 'items', dataset: 'dreaddit', split: 'train_complete', rows: 2 },
    'train_data/complete_data/dreaddit/val.csv': { kind: 'items', dataset: 'dreaddit', split: 'val_complete', rows: 2 },
    'human_evaluation/DR_annotation/chatgpt_false_data.csv': { kind: 'reference_ratings', dataset: 'DR', split: null, rows: 2 },
    'human_evaluation/DR_annotation/gpt3_data.csv': { kind: 'reference_ratings', dataset: 'DR', split: null, rows: 2 },
    'examples/response_generation_examples/Irf.csv': { kind: 'outputs', dataset: 'Irf', split: null, rows: 1 }
  },
  /** dataset -> split -> label -> count */
  labels: {
    DR: {
      test_instruction: { yes: 2, no: 1 },
      test_complete: { yes: 2, no: 1 },
      expert: { yes: 1, no: 1 },
      train_instruction: { yes: 2, no: 1 },
      val_instruction: { no: 1 }
    },
    SAD: {
      test_instruction: { 'financial problem': 1, 'emotional turmoil': 1, 'other stress causes': 1 },
      test_complete: { 'financial problem': 1, 'emotional turmoil': 1, 'other stress causes': 1 }
    },
    CAMS: { test_instruction: { 'jobs and career': 1, none: 1 } },
    't-sid': { test_instruction: { ptsd: 1, none: 1 } },
    swmh: { expert: { anxiety: 1, none: 1 } },
    dreaddit: { test_instruction: { yes: 1, no: 1 }, test_complete: { yes: 1, no: 1 }, train_complete: { yes: 1, no: 1 }, val_complete: { yes: 1, no: 1 } },
    loneliness: { test_instruction: { yes: 1, no: 1 }, test_complete: { yes: 1, no: 1 } },
    Irf: { test_instruction: { yes: 1, no: 1 }, test_complete: { yes: 1, no: 1 } },
    MultiWD: { test_instruction: { yes: 1, no: 1 }, test_complete: { yes: 1, no: 1 } }
  },
  items: 44,
  referenceRatings: 4,
  multilinePost: MULTILINE_POST
} as const

function write(root: string, rel: string, content: string): void {
  const file = join(root, rel)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, content, 'utf8')
}

/** Writes the fixture under `dir/imhi` and returns that folder. */
export function writeImhiFixture(dir: string): string {
  const root = join(dir, 'imhi')
  const IH = ['query', 'gpt-3.5-turbo']

  write(root, 'test_data/test_instruction/DR.csv', csv(IH, DR_POSTS.map((p) => [instr(p.post, DR_Q), drResponse(p.yes, 'instr')])))
  write(root, 'test_data/test_complete/DR.csv', csv(IH, DR_POSTS.map((p) => [compl(p.post, DR_QC), drResponse(p.yes, 'compl')]), { eol: '\r\n' }))
  write(root, 'test_data/test_instruction/SAD.csv', csv(IH, SAD_ROWS.map((r) => [instr(r.post, SAD_Q), reason(r.sentence)])))
  write(root, 'test_data/test_complete/SAD.csv', csv(IH, SAD_ROWS.map((r) => [compl(r.post, SAD_QC), reason(r.short)])))
  write(root, 'test_data/test_instruction/CAMS.csv', csv(IH, CAMS_ROWS.map((r) => [instr(r.post, CAMS_Q), reason(r.sentence)])))
  write(root, 'test_data/test_instruction/t-sid.csv', csv(IH, TSID_ROWS.map((r) => [instr(r.post, TSID_Q), reason(r.sentence)])))

  for (const d of YES_NO_SETS) {
    const rows = [d.yes, d.no]
    write(root, `test_data/test_instruction/${d.name}.csv`, csv(IH, rows.map(([post, sentence]) => [instr(post, d.q), reason(sentence)])))
    write(
      root,
      `test_data/test_complete/${d.name}.csv`,
      csv(IH, rows.map(([post, sentence]) => [compl(post, d.qc), reason(sentence.startsWith('Yes') ? 'yes.' : 'no.')]))
    )
  }

  write(root, 'human_evaluation/test_instruction_expert/swmh.csv', csv(IH, SWMH_ROWS.map((r) => [instr(r.post, SWMH_Q), reason(r.sentence)])))
  write(
    root,
    'human_evaluation/test_instruction_expert/DR.csv',
    csv(IH, DR_POSTS.slice(1).map((p) => [instr(p.post, DR_Q), drResponse(p.yes, 'instr')]))
  )

  write(root, 'train_data/instruction_data/DR/train.csv', csv(IH, DR_POSTS.map((p) => [instr(p.post, DR_Q), drResponse(p.yes, 'instr')])))
  write(root, 'train_data/instruction_data/DR/val.csv', csv(IH, [[instr(DR_POSTS[1].post, DR_Q), drResponse(false, 'instr')]]))

  // Completion-style training data: post, question, response; the val file adds an unnamed index column.
  const dreaddit = [
    { post: 'Deadline tomorrow and my laptop just died, I am panicking', yes: true },
    { post: 'Sunday brunch, then a nap. Perfect.', yes: false }
  ]
  const complRow = (d: { post: string; yes: boolean }) => [
    `Post: ${d.post}`,
    ` Question: ${DREADDIT_QC}`,
    `${d.yes ? 'yes' : 'no'}. Reasoning: An invented explanation, for tests only.`
  ]
  write(root, 'train_data/complete_data/dreaddit/dreaddit-train.csv', csv(['post', 'question', 'response'], dreaddit.map(complRow)))
  write(root, 'train_data/complete_data/dreaddit/val.csv', csv(['', 'post', 'question', 'response'], dreaddit.map((d, i) => [String(i), ...complRow(d)])))

  // The released human ratings: one file with a BOM, one naming its explanation column curie-instruct-beta.
  write(root, 'human_evaluation/DR_annotation/chatgpt_false_data.csv', csv(RATING_HEADER('gpt-3.5-turbo'), RATING_ROWS, { bom: true }))
  write(root, 'human_evaluation/DR_annotation/gpt3_data.csv', csv(RATING_HEADER('curie-instruct-beta'), RATING_ROWS))

  // Model outputs in the benchmark's output layout: not items, reported as skipped.
  write(
    root,
    'examples/response_generation_examples/Irf.csv',
    csv(['goldens', 'generated_text'], [['Yes, the post shows this risk. Reasoning: invented.', '\n\nReasoning: invented output.']])
  )
  return root
}
