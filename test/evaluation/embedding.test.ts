import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { openDatabase } from '../../src/main/db/open'
import { beforeAll, describe, expect, it } from 'vitest'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeTinyGguf } from '../support/tiny-gguf'
import { drResponses, seedItems } from './seed'
import { findDataset } from '../../src/shared/imhi/datasets'
import { deserializeModel, fitModel, serializeModel, LabelClassifier, withDense } from '../../src/main/evaluation/classifier'
import { normalizeL2 } from '../../src/main/evaluation/embedding'

const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`
function writeCsv(file: string, header: string[], rows: string[][]): string {
  writeFileSync(file, [header.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n')
  return file
}

// The project's own tiny GGUF (random llama weights, 32-dimensional embeddings): the vectors mean
// nothing, so these tests check the plumbing (determinism, dimension, cache, storage, the model
// reference, errors), never accuracy.
describe('embedding features of the label classifiers (tiny GGUF)', () => {
  const s = testServices()
  const dir = tempDir()
  const TINY = writeTinyGguf(join(dir, 'tiny-embed.gguf'))
  const OTHER = writeTinyGguf(join(dir, 'tiny-other.gguf'), { seed: 777 })
  const NOT_GGUF = join(dir, 'notes.gguf')
  writeFileSync(NOT_GGUF, 'this is a text file, not a model\n')
  const test = drResponses(20, 23)
  const classifierRow = () => s.db.prepare<[], { features: string; model: string; trained_at: string }>("SELECT features, model, trained_at FROM label_classifiers WHERE dataset = 'DR'").get()
  const embeddingRows = () => (s.db.prepare('SELECT COUNT(*) AS n FROM embeddings').get() as { n: number }).n

  beforeAll(() => {
    seedItems(s.db, 'DR', 'train_instruction', drResponses(60, 21))
    seedItems(s.db, 'DR', 'val_instruction', drResponses(20, 22))
    seedItems(s.db, 'DR', 'test_instruction', test)
  })

  it('embeds deterministically, one vector of the model dimension per text; long texts are cut, empty ones refused', async () => {
    const texts = ['The poster feels hopeless and tired.', 'No sign of distress here.', 'word '.repeat(3000)]
    const a = await s.inference.embed({ modelPath: TINY, texts, contextSize: 128 })
    const b = await s.inference.embed({ modelPath: TINY, texts, contextSize: 128 })
    expect(a.dimension).toBe(32)
    expect(a.vectors).toHaveLength(3)
    for (const v of a.vectors) expect(v).toHaveLength(32)
    expect(a.vectors.map((v) => Array.from(v))).toEqual(b.vectors.map((v) => Array.from(v)))
    expect(Array.from(a.vectors[0])).not.toEqual(Array.from(a.vectors[1]))
    expect(a.truncatedFrom[0]).toBeNull()
    expect(a.truncatedFrom[2]).toBeGreaterThan(128)
    expect(a.tokens[2]).toBe(127)
    await expect(s.inference.embed({ modelPath: TINY, texts: ['fine', '  '] })).rejects.toThrow(/Text 2 of 2 is empty/)
    await expect(s.inference.embed({ modelPath: NOT_GGUF, texts: ['x'] })).rejects.toThrow(/notes\.gguf is not a GGUF model file/)
  }, 120_000)

  it('the dense helper puts the embedding after the TF-IDF vocabulary', () => {
    const x = withDense({ indices: Int32Array.from([1, 4]), values: Float32Array.from([0.6, 0.8]) }, Float32Array.from([0.5, -0.5]), 10)
    expect(Array.from(x.indices)).toEqual([1, 4, 10, 11])
    expect(Array.from(x.values)).toEqual([0.6000000238418579, 0.800000011920929, 0.5, -0.5])
    const n = normalizeL2(Float32Array.from([3, 4]))
    expect(Array.from(n)).toEqual([0.6000000238418579, 0.800000011920929])
  })

  it('a non-GGUF embedding model is refused before anything stored changes', async () => {
    await s.evaluation.trainClassifiers(['DR'])
    const before = classifierRow()!
    expect(before.features).toBe('tfidf')
    await expect(s.evaluation.trainClassifiers(['DR'], undefined, { embeddingModel: NOT_GGUF })).rejects.toThrow(/notes\.gguf is not a GGUF model file/)
    await expect(s.evaluation.trainClassifiers(['DR'], undefined, { embeddingModel: join(dir, 'missing.gguf') })).rejects.toThrow(/no such file/)
    const foo = writeTinyGguf(join(dir, 'foo.gguf'), { architecture: 'fooformer' })
    await expect(s.evaluation.trainClassifiers(['DR'], undefined, { embeddingModel: foo })).rejects.toThrow(/foo\.gguf: architecture "fooformer" is not supported/)
    expect(classifierRow()).toEqual(before)
    expect(embeddingRows()).toBe(0)
  }, 120_000)

  it('an old TF-IDF-only stored model still loads and labels, with no embedding computed', async () => {
    const file = writeCsv(join(dir, 'DR.csv'), ['generated_text'], [['Reasoning: The post mentions hopelessness and worthlessness. Therefore, the poster likely suffers from depression.'], ['']])
    const labelled = await s.evaluation.label({ path: file })
    expect(labelled.datasets.DR.rows[0]).toMatchObject({ label: 'yes' })
    expect(labelled.datasets.DR.embedding).toBeNull()
    expect(labelled.datasets.DR.rows[1]).toMatchObject({ label: null, empty: true })
    // The stored JSON of a TF-IDF model has no embedding key and deserializes as before.
    const json = classifierRow()!.model
    expect(JSON.parse(json).embedding).toBeUndefined()
    expect(deserializeModel(json).embedding).toBeUndefined()
  }, 120_000)

  let trainedAt = ''
  it('trains with embeddings: stores the model reference, weights = vocabulary + dimension, vectors cached', async () => {
    const progress: number[] = []
    const r = await s.evaluation.trainClassifiers(['DR'], undefined, { embeddingModel: TINY, onEmbedProgress: (_d, done) => progress.push(done) })
    expect(r.trained.map((c) => c.dataset)).toEqual(['DR'])
    expect(r.trained[0].features).toBe('tfidf+embedding:tiny-embed.gguf')
    expect(r.embedding).toMatchObject({ model: 'tiny-embed.gguf', dimension: 32, computed: 100, cached: 0 })
    expect(progress.at(-1)).toBe(100)
    expect(embeddingRows()).toBe(100)
    const row = classifierRow()!
    trainedAt = row.trained_at
    const model = deserializeModel(row.model)
    expect(model.embedding).toMatchObject({ file: 'tiny-embed.gguf', dimension: 32, contextSize: 512 })
    expect(model.embedding!.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(model.logreg.features).toBe(model.tfidf.vocabulary.length + 32)
    expect(model.logreg.weights.length).toBe((model.tfidf.vocabulary.length + 32) * model.labels.length)
    expect(s.evaluation.classifiers()[0].features).toBe('tfidf+embedding:tiny-embed.gguf')

    // Training again embeds nothing: every vector comes from the cache, and the weights are the same.
    const again = await s.evaluation.trainClassifiers(['DR'], undefined, { embeddingModel: TINY })
    expect(again.embedding).toMatchObject({ computed: 0, cached: 100 })
    expect(embeddingRows()).toBe(100)
    expect(Array.from(deserializeModel(classifierRow()!.model).logreg.weights)).toEqual(Array.from(model.logreg.weights))
  }, 180_000)

  it('labels with the embedding model: from the library by SHA-256 or an explicit path; a missing or different file is a clear error', async () => {
    expect(trainedAt).not.toBe('')
    // Generated texts the training never saw (the gold explanations themselves would come from the cache).
    const rows = test.slice(0, 6).map((t) => [`Answer: ${t.response.slice(t.response.indexOf('Reasoning:'))}`, t.response])
    rows.push(['', test[6].response])
    mkdirSync(join(dir, 'labelled'))
    const file = writeCsv(join(dir, 'labelled', 'DR.csv'), ['generated_text', 'goldens'], rows)
    // Not in the library, no path: refused, naming the file it needs.
    await expect(s.evaluation.label({ path: file })).rejects.toThrow(/trained with embedding features of tiny-embed\.gguf .*no model of the library is that file.*choose it as the embedding model/)
    // A different GGUF given explicitly: refused.
    await expect(s.evaluation.label({ path: file }, { embeddingModel: OTHER })).rejects.toThrow(/trained with embedding features of tiny-embed\.gguf.*tiny-other\.gguf is a different file/)
    await expect(s.evaluation.label({ path: file }, { embeddingModel: NOT_GGUF })).rejects.toThrow(/notes\.gguf is not a GGUF model file/)

    const explicit = await s.evaluation.label({ path: file }, { embeddingModel: TINY })
    const dr = explicit.datasets.DR
    expect(dr.rows).toHaveLength(7)
    expect(dr.rows.slice(0, 6).every((r) => r.label === 'yes' || r.label === 'no')).toBe(true)
    expect(dr.rows[6]).toMatchObject({ label: null, empty: true })
    expect(dr.embedding).toMatchObject({ model: 'tiny-embed.gguf', computed: 6, cached: 0 })
    expect(dr.metrics!.n).toBe(7)

    // In the library: found by SHA-256 without a path; the vectors now come from the cache.
    await s.inference.addModel({ path: TINY })
    const viaLibrary = await s.evaluation.label({ path: file })
    expect(viaLibrary.datasets.DR.rows).toEqual(dr.rows)
    expect(viaLibrary.datasets.DR.embedding).toMatchObject({ computed: 0, cached: 6 })

    // The labels are those of the stored model on TF-IDF + normalized embedding, computed directly.
    const model = deserializeModel(classifierRow()!.model)
    const c = new LabelClassifier(model)
    const texts = rows.slice(0, 6).map((r) => r[0])
    const vec = await s.inference.embed({ modelPath: TINY, texts, contextSize: 512 })
    texts.forEach((t, i) => expect(c.label(t, null, normalizeL2(vec.vectors[i])).label).toBe(dr.rows[i].label))
    expect(() => c.label(texts[0])).toThrow(/needs the 32-dimensional embedding/)

    // The dashboard's evaluation labels with the classifier too (the library model is found).
    const report = await s.evaluation.evaluate({ path: file })
    expect(report.datasets.DR.perRow.classifier!.slice(0, 6)).toEqual(dr.rows.slice(0, 6).map((r) => r.label))
  }, 180_000)

  it('a stored model round-trips with its embedding reference; a corrupt reference is refused', () => {
    const info = findDataset('DR')!
    const rows = drResponses(20, 5).map((r, i) => ({ text: r.response, label: r.label, embedding: normalizeL2(Float32Array.from([i % 3, 1, -1, (i * 7) % 5])) }))
    const m = fitModel(info, rows)
    m.embedding = { file: 'x.gguf', sha256: 'a'.repeat(64), dimension: 4, contextSize: 512 }
    const back = deserializeModel(serializeModel(m))
    expect(back.embedding).toEqual(m.embedding)
    expect(back.logreg.features).toBe(back.tfidf.vocabulary.length + 4)
    const broken = JSON.parse(serializeModel(m)) as { embedding?: unknown }
    delete broken.embedding
    expect(() => deserializeModel(JSON.stringify(broken))).toThrow(/corrupt/)
    broken.embedding = { file: 'x.gguf', sha256: 'nothex', dimension: 4, contextSize: 512 }
    expect(() => deserializeModel(JSON.stringify(broken))).toThrow(/corrupt \(embedding model reference\)/)
  })
})

describe('imhi classifiers train / list / label --embedding-model (CLI)', () => {
  const CLI = resolve(__dirname, '..', '..', 'bin', 'imhi.js')
  const imhi = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    return { stdout: r.stdout, stderr: r.stderr, status: r.status }
  }
  const dir = tempDir()
  const db = join(dir, 'cli.db')
  const TINY = writeTinyGguf(join(dir, 'cli-embed.gguf'))
  const NOT_GGUF = join(dir, 'weights.gguf')
  writeFileSync(NOT_GGUF, 'PK\x03\x04 not a gguf')
  const test = drResponses(10, 43)
  const conn = openDatabase(db)
  seedItems(conn, 'DR', 'train_instruction', drResponses(40, 41))
  seedItems(conn, 'DR', 'val_instruction', drResponses(12, 42))
  seedItems(conn, 'DR', 'test_instruction', test)
  conn.close()
  const csv = writeCsv(join(dir, 'DR.csv'), ['generated_text'], test.map((t) => [`Answer: ${t.response.slice(t.response.indexOf('Reasoning:'))}`]))

  it('trains with an embedding model, lists its features, labels with it; bad or missing models fail with the file named', () => {
    const bad = imhi(['classifiers', 'train', '--db', db, '--embedding-model', NOT_GGUF, '--json'])
    expect(bad.status).not.toBe(0)
    expect(bad.stdout).toBe('')
    expect(bad.stderr).toMatch(/weights\.gguf is not a GGUF model file/)

    const r = imhi(['classifiers', 'train', '--db', db, '--dataset', 'DR', '--embedding-model', TINY, '--json'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.datasets.DR.features).toBe('tfidf+embedding:cli-embed.gguf')
    expect(out.embedding).toMatchObject({ model: 'cli-embed.gguf', dimension: 32, computed: 62, cached: 0 })

    expect(imhi(['classifiers', 'list', '--db', db]).stdout).toMatch(/DR .*features tfidf\+embedding:cli-embed\.gguf/)

    const missing = imhi(['label', csv, '--db', db, '--json'])
    expect(missing.status).not.toBe(0)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toMatch(/trained with embedding features of cli-embed\.gguf/)

    const labelled = imhi(['label', csv, '--db', db, '--embedding-model', TINY, '--json'])
    expect(labelled.status).toBe(0)
    const l = JSON.parse(labelled.stdout)
    expect(l.datasets.DR.labels).toHaveLength(10)
    expect(l.datasets.DR.embedding).toMatchObject({ model: 'cli-embed.gguf', computed: 10, cached: 0 })
    const again = JSON.parse(imhi(['label', csv, '--db', db, '--embedding-model', TINY, '--json']).stdout)
    expect(again.datasets.DR.labels).toEqual(l.datasets.DR.labels)
    expect(again.datasets.DR.embedding).toMatchObject({ computed: 0, cached: 10 })
  }, 180_000)
})
