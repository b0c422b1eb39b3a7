import type { Db } from '../../src/main/db/open'
import { findDataset } from '../../src/shared/imhi/datasets'
import { seededRandom } from '../../src/main/evaluation/logreg'
import { insertItem } from '../support/items'

/** Inserts items straight into the core tables (the importer's job in the app) for evaluation tests. */
export function seedItems(db: Db, dataset: string, split: string, rows: { response: string; post?: string }[]): number[] {
  const info = findDataset(dataset)!
  db.prepare('INSERT OR IGNORE INTO datasets (name, task, labels) VALUES (?, ?, ?)').run(info.name, info.task, JSON.stringify(info.labels))
  const file = db
    .prepare("INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES (?, 'items', ?, ?, ?, 'x')")
    .run(`seed/${split}/${dataset}-${Math.random().toString(36).slice(2)}.csv`, info.name, split, rows.length)
  return db.transaction(() =>
    rows.map((r, i) => {
      const post = r.post ?? `post ${i}`
      return insertItem(db, { dataset: info.name, split, sourceFileId: file.lastInsertRowid, sourceRow: i + 1, query: `Consider this post: "${post}" Question: ?`, post, goldResponse: r.response })
    })
  )()
}

export function seedRun(db: Db, name: string, outputs: { itemId: number; text: string }[]): number {
  const run = db.prepare("INSERT INTO runs (name, model_file, prompt_format, datasets, split, status) VALUES (?, 'tiny.gguf', 'raw', '[\"DR\"]', 'test_instruction', 'completed')").run(name)
  const insert = db.prepare("INSERT INTO explanations (item_id, run_id, model_file, text, prompt_format) VALUES (?, ?, 'tiny.gguf', ?, 'raw')")
  db.transaction(() => outputs.forEach((o) => insert.run(o.itemId, run.lastInsertRowid, o.text)))()
  return Number(run.lastInsertRowid)
}

const YES_SIGNS = ['hopelessness', 'worthlessness', 'persistent sadness', 'loss of interest', 'trouble sleeping', 'feeling empty', 'thoughts of giving up']
const NO_SIGNS = ['enjoying time with friends', 'looking forward to the weekend', 'a good mood', 'satisfaction with work', 'feeling rested', 'making plans']
const FILLER = ['The post mentions', 'The poster describes', 'The writer talks about', 'In the post, the individual reports']

/** Synthetic DR gold responses: label sentence + "Reasoning:" explanation, seeded. */
export function drResponses(n: number, seed: number): { response: string; label: 'yes' | 'no' }[] {
  const rand = seededRandom(seed)
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]
  return Array.from({ length: n }, (_, i) => {
    const yes = i % 3 !== 0
    const signs = yes ? YES_SIGNS : NO_SIGNS
    const text = `${pick(FILLER)} ${pick(signs)} and ${pick(signs)}. ${pick(FILLER)} ${pick([...YES_SIGNS, ...NO_SIGNS])}. ${
      yes ? 'Therefore, the poster likely suffers from depression.' : 'Therefore, there is no clear evidence of depression.'
    }`
    return { label: yes ? 'yes' : 'no', response: `${yes ? 'Yes, the poster suffers from depression.' : 'No, the poster does not suffer from depression.'} Reasoning: ${text}` }
  })
}
