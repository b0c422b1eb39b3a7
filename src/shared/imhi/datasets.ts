/**
 * The IMHI benchmark's datasets, their tasks and label sets. Label names are the canonical,
 * lower-case class names used everywhere in the app (database, metrics, exports); the order is
 * the order used for confusion matrices and per-class tables.
 */
export type TaskId =
  | 'depression'
  | 'stress'
  | 'stress_cause'
  | 'loneliness'
  | 'wellness'
  | 'interpersonal_risk'
  | 'depression_cause'
  | 'disorders'

export const TASKS: Record<TaskId, string> = {
  depression: 'Depression detection',
  stress: 'Stress detection',
  stress_cause: 'Stress cause detection',
  loneliness: 'Loneliness detection',
  wellness: 'Wellness dimensions detection',
  interpersonal_risk: 'Interpersonal risk factors detection',
  depression_cause: 'Depression/suicide cause detection',
  disorders: 'Mental disorders detection'
}

export interface DatasetInfo {
  name: string
  task: TaskId
  source: string
  labels: readonly string[]
  /** Whether the public release has training/validation data for it. */
  hasTrainingData: boolean
}

const YES_NO = ['no', 'yes'] as const

export const DATASETS: readonly DatasetInfo[] = [
  { name: 'DR', task: 'depression', source: 'Reddit', labels: YES_NO, hasTrainingData: true },
  { name: 'dreaddit', task: 'stress', source: 'Reddit', labels: YES_NO, hasTrainingData: true },
  { name: 'loneliness', task: 'loneliness', source: 'Reddit', labels: YES_NO, hasTrainingData: false },
  { name: 'Irf', task: 'interpersonal_risk', source: 'Reddit', labels: YES_NO, hasTrainingData: true },
  { name: 'MultiWD', task: 'wellness', source: 'Reddit', labels: YES_NO, hasTrainingData: true },
  {
    name: 'SAD',
    task: 'stress_cause',
    source: 'SMS',
    labels: [
      'school',
      'financial problem',
      'family issues',
      'social relationships',
      'work',
      'health issues',
      'emotional turmoil',
      'everyday decision making',
      'other stress causes'
    ],
    hasTrainingData: true
  },
  {
    name: 'CAMS',
    task: 'depression_cause',
    source: 'Reddit',
    labels: ['none', 'bias or abuse', 'jobs and career', 'medication', 'relationship', 'alienation'],
    hasTrainingData: false
  },
  {
    name: 't-sid',
    task: 'disorders',
    source: 'Reddit',
    labels: ['none', 'depression', 'suicide or self-harm', 'ptsd'],
    hasTrainingData: false
  },
  {
    name: 'swmh',
    task: 'disorders',
    source: 'Reddit',
    labels: ['none', 'depression', 'suicide', 'anxiety', 'bipolar disorder'],
    hasTrainingData: false
  }
]

const byLowerName = new Map(DATASETS.map((d) => [d.name.toLowerCase(), d]))

/** Looks a dataset up by name, case-insensitively (file names vary: `DR.csv`, `dr`, `T-SID`). */
export function findDataset(name: string): DatasetInfo | undefined {
  return byLowerName.get(name.trim().toLowerCase())
}

export const SPLITS = [
  'test_instruction',
  'test_complete',
  'expert',
  'train_instruction',
  'val_instruction',
  'train_complete',
  'val_complete'
] as const
export type SplitName = (typeof SPLITS)[number]
