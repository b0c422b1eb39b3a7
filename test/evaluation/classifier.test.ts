import Papa from 'papaparse'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { crossValidate, deserializeModel, fitModel, foldsOf, LabelClassifier, postGroup, serializeModel, trainAndScore, type LabelledText } from '../../src/main/evaluation/classifier'
import { fitTfidf, TfidfVectorizer } from '../../src/main/evaluation/tfidf'
import { aspectOf, aspectOfQuestion, aspectOfText, aspectsOf } from '../../src/main/evaluation/aspects'
import { goldExplanation, goldLabel, splitQuery } from '../../src/main/imhi/labels'
import { DATASETS, findDataset } from '../../src/shared/imhi/datasets'
import { SHARED_IMHI, hasSharedImhi, sharedSkipReason } from '../support/shared'
import { drResponses } from './seed'

const DR = findDataset('DR')!
const rows = (n: number, seed: number): LabelledText[] => drResponses(n, seed).map((r) => ({ text: goldExplanation(r.response)!, label: r.label }))

describe('TF-IDF', () => {
  it('uses smooth idf ln((1+n)/(1+df))+1 and unit-length rows', () => {
    const m = fitTfidf(['a cat', 'a dog', 'a cat'], { minDf: 1 })
    const idf = Object.fromEntries(m.vocabulary.map((t, i) => [t, m.idf[i]]))
    expect(idf['cat']).toBeCloseTo(Math.log(4 / 3) + 1, 12)
    expect(idf['dog']).toBeCloseTo(Math.log(4 / 2) + 1, 12)
    const v = new TfidfVectorizer(m).transform('a cat cat')
    const norm = Math.sqrt(Array.from(v.values).reduce((a, x) => a + x * x, 0))
    expect(norm).toBeCloseTo(1, 6)
  })
})

describe('label classifier', () => {
  it('learns the synthetic explanations and is deterministic', () => {
    const train = rows(120, 1)
    const a = fitModel(DR, train)
    const b = fitModel(DR, train)
    expect(serializeModel(a)).toBe(serializeModel(b))
    const c = new LabelClassifier(a)
    const test = rows(60, 2)
    const correct = test.filter((r) => c.label(r.text).label === r.label).length
    expect(correct / test.length).toBeGreaterThanOrEqual(0.95)
  })

  it('round-trips through its stored form and rejects a corrupt one', () => {
    const m = fitModel(DR, rows(40, 3))
    const back = deserializeModel(serializeModel(m))
    const text = 'The post mentions hopelessness. Therefore, the poster likely suffers from depression.'
    expect(new LabelClassifier(back).label(text)).toEqual(new LabelClassifier(m).label(text))
    expect(m.threshold).toBeGreaterThanOrEqual(0.2)
    expect(m.threshold).toBeLessThanOrEqual(0.8)
    expect(back.threshold).toBe(m.threshold)
    const broken = JSON.parse(serializeModel(m))
    broken.logreg.weights = broken.logreg.weights.slice(0, 8)
    expect(() => deserializeModel(JSON.stringify(broken))).toThrow(/corrupt/)
    const badThreshold = JSON.parse(serializeModel(m))
    badThreshold.threshold = 7
    expect(() => deserializeModel(JSON.stringify(badThreshold))).toThrow(/corrupt \(threshold 7\)/)
  })

  it('never scores a row with a model trained on it: out-of-fold predictions differ from in-sample ones', () => {
    // Pure noise labels: in-sample a model memorizes them, out of fold it is at chance.
    const noise: LabelledText[] = Array.from({ length: 100 }, (_, i) => ({ text: `token${i} shared words here`, label: i % 2 ? 'yes' : 'no' }))
    const oof = crossValidate(DR, noise)
    const oofAcc = oof.filter((l, i) => l === noise[i].label).length / noise.length
    expect(oofAcc).toBeLessThan(0.75)
  })

  it('keeps the explanations of one post in one fold, so no row learns its label from another explanation of its post', () => {
    // 30 posts, each explained four times in the same words (as MultiWD asks several questions of a
    // post, or an expert and a test explanation share one), with pure-noise labels: a model that saw
    // the post's other explanations memorized its label (min_df 2 keeps its word once two of them are
    // in training); one that did not is at chance.
    const twins: LabelledText[] = Array.from({ length: 120 }, (_, i) => {
      const post = i >> 2
      return { text: `token${post} shared words here`, label: (post * 7) % 5 < 2 ? 'yes' : 'no', group: postGroup(`Post number ${post}!`) }
    })
    const fold = foldsOf(twins, 5)
    for (let i = 0; i < twins.length; i++) expect(fold[i]).toBe(fold[i - (i % 4)])
    expect(new Set(fold).size).toBe(5)
    const acc = (rows: LabelledText[]) => {
      const oof = crossValidate(DR, rows)
      return oof.filter((l, i) => l === rows[i].label).length / rows.length
    }
    expect(acc(twins)).toBeLessThan(0.75)
    // The same rows without their groups: a post's explanations fall in different folds and the label leaks.
    expect(acc(twins.map(({ group: _group, ...r }) => r))).toBeGreaterThan(0.8)
    // Rows without a group fall as before grouping existed: a seeded shuffle dealt in turn.
    expect(foldsOf(Array.from({ length: 10 }, () => ({})), 5).sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    expect(postGroup('"I can\'t sleep..."  Again.')).toBe('i can t sleep again')
  })

  it('plans the evaluation by what data exists', () => {
    const withVal = trainAndScore(DR, { train: rows(60, 4), val: rows(30, 5), test: rows(30, 6), expert: [] })
    expect(withVal.report.heldOut?.method).toBe('trained on train, scored on val')
    expect(withVal.report.trainRows).toBe(90)
    expect(withVal.report.test?.n).toBe(30)
    const lonely = findDataset('loneliness')!
    const noTrain = trainAndScore(lonely, { train: [], val: [], test: rows(50, 7), expert: rows(10, 8) })
    expect(noTrain.report.heldOut?.method).toMatch(/5-fold cross-validation on test \+ expert/)
    expect(noTrain.report.heldOut?.n).toBe(60)
    expect(noTrain.report.test?.n).toBe(50)
  })
})

describe.skipIf(!hasSharedImhi)('classifiers on ../shared/imhi (held-out and test accuracy)', () => {
  sharedSkipReason('imhi')
  const load = (file: string, ds: string): LabelledText[] => {
    if (!existsSync(file)) return []
    const data = Papa.parse<Record<string, string>>(readFileSync(file, 'utf8').replace(/^\ufeff/, ''), { header: true, skipEmptyLines: true }).data
    return data.flatMap((r) => {
      const label = goldLabel(ds, r['gpt-3.5-turbo'])
      const text = goldExplanation(r['gpt-3.5-turbo'])
      const query = splitQuery(r.query)
      return label && text ? [{ text, label, question: query.question, group: postGroup(query.post) || undefined }] : []
    })
  }
  it('reaches at least 90% test accuracy on every released test set, 95% on five of eight (MultiWD among them)', () => {
    const results: Record<string, number> = {}
    for (const d of DATASETS.filter((x) => x.name !== 'swmh')) {
      const dir = join(SHARED_IMHI, 'train_data/instruction_data', d.name)
      const r = trainAndScore(d, {
        train: load(join(dir, 'train.csv'), d.name),
        val: load(join(dir, 'val.csv'), d.name),
        test: load(join(SHARED_IMHI, 'test_data/test_instruction', `${d.name}.csv`), d.name),
        expert: load(join(SHARED_IMHI, 'human_evaluation/test_instruction_expert', `${d.name}.csv`), d.name)
      })
      results[d.name] = r.report.test!.accuracy
    }
    console.log('test accuracy per dataset', results)
    for (const acc of Object.values(results)) expect(acc).toBeGreaterThanOrEqual(0.9)
    expect(Object.values(results).filter((a) => a >= 0.95).length).toBeGreaterThanOrEqual(5)
    expect(results.MultiWD).toBeGreaterThanOrEqual(0.95)
  }, 120_000)
})

describe('TfidfVectorizer fast path', () => {
  it('gives exactly the vector of the term-string path', () => {
    const texts = rows(200, 21).map((r) => r.text)
    const v = new TfidfVectorizer(fitTfidf(texts, { maxFeatures: 300 }))
    for (const t of [...texts.slice(0, 50), 'unknown words only', '', 'Therefore. hopelessness hopelessness and sadness.']) {
      const a = v.transform(t)
      const b = v.transformByTerms(t)
      expect(Array.from(a.indices)).toEqual(Array.from(b.indices))
      expect(Array.from(a.values)).toEqual(Array.from(b.values))
    }
  })
})

describe('aspects (MultiWD wellness dimensions)', () => {
  const wd = aspectsOf('MultiWD')!
  it('reads the dimension from the question, else from the explanation', () => {
    expect(aspectOfQuestion(wd, 'Does the spiritual wellness dimension exist in the post?')).toBe('spiritual')
    expect(aspectOfQuestion(wd, 'Does the post mention anything?')).toBeNull()
    expect(aspectOfQuestion(wd, 'Is it social or emotional?')).toBeNull()
    // Most often named wins; ties go to the first named.
    expect(aspectOfText(wd, 'No social ties; the physical aspect is absent and physical health is not discussed.')).toBe('physical')
    expect(aspectOfText(wd, 'The emotional and the social sides.')).toBe('emotional')
    expect(aspectOfText(wd, 'Nothing named here.')).toBeNull()
    expect(aspectOf(wd, 'The social aspect.', 'Does the vocational wellness dimension exist in the post?')).toBe('vocational')
    expect(aspectOf(wd, 'The social aspect.', null)).toBe('social')
    expect(aspectOf(null, 'The social aspect.', 'Does the vocational wellness dimension exist in the post?')).toBeNull()
    expect(aspectsOf('DR')).toBeNull()
  })

  // The same explanation is "yes" for one dimension and "no" for another: only a model that
  // knows the dimension asked can label both.
  const MWD = findDataset('MultiWD')!
  const crossRows = (n: number, seed: number): LabelledText[] => {
    const body = rows(n, seed)
    return body.map((r, i) => {
      const asked = i % 2 === 0 ? 'social' : 'physical'
      const mentionsFriends = r.label === 'yes'
      const text = mentionsFriends ? `${r.text} They spend evenings with friends.` : `${r.text} They go running every morning.`
      const label = (asked === 'social') === mentionsFriends ? 'yes' : 'no'
      return { text, label, question: `Does the ${asked} wellness dimension exist in the post?` }
    })
  }
  it('crossing terms with the dimension asked learns what one term means per dimension', () => {
    const train = crossRows(300, 31)
    const test = crossRows(100, 32)
    const acc = (m: ReturnType<typeof fitModel>) => {
      const c = new LabelClassifier(m)
      return test.filter((r) => c.label(r.text, r.question).label === r.label).length / test.length
    }
    const crossed = fitModel(MWD, train)
    expect(crossed.aspects).toBe(true)
    expect(acc(crossed)).toBeGreaterThanOrEqual(0.95)
    const plain = fitModel(MWD, train, { aspects: false })
    expect(plain.aspects).toBeUndefined()
    expect(acc(plain)).toBeLessThan(0.75)
    // The stored form keeps the crossing.
    const back = new LabelClassifier(deserializeModel(serializeModel(crossed)))
    expect(test.map((r) => back.label(r.text, r.question).label)).toEqual(test.map((r) => new LabelClassifier(crossed).label(r.text, r.question).label))
  })

  it('labels an explanation without its question with the plain fallback model, stored beside the crossed one', () => {
    const train = crossRows(120, 34)
    const m = fitModel(MWD, train, { fallback: true })
    expect(m.aspects).toBe(true)
    expect(m.fallback?.aspects).toBeUndefined()
    const plain = new LabelClassifier(fitModel(MWD, train, { aspects: false }))
    const c = new LabelClassifier(deserializeModel(serializeModel(m)))
    const texts = crossRows(40, 35)
    for (const r of texts) {
      expect(c.label(r.text)).toEqual(plain.label(r.text))
      expect(c.label(r.text, 'Is this post long?')).toEqual(plain.label(r.text))
      expect(c.label(r.text, r.question)).toEqual(new LabelClassifier(m).label(r.text, r.question))
    }
    // Trained without questions (aspects read from the text): no fallback is stored.
    expect(fitModel(MWD, train.map((r) => ({ text: r.text, label: r.label })), { fallback: true }).fallback).toBeUndefined()
    const bad = JSON.parse(serializeModel(m))
    bad.fallback.dataset = 'DR'
    expect(() => deserializeModel(JSON.stringify(bad))).toThrow(/corrupt \(fallback model\)/)
  })

  it('the fast path gives exactly the term-string vector with crossed terms', () => {
    const train = crossRows(200, 33)
    const aspects = train.map((r) => aspectOf(wd, r.text, r.question))
    const v = new TfidfVectorizer(fitTfidf(train.map((r) => r.text), { maxFeatures: 500 }, aspects))
    expect(v.aspects).toEqual(['physical', 'social'])
    for (const t of [...train.slice(0, 40).map((r) => r.text), '', 'friends friends running']) {
      for (const a of ['social', 'physical', 'spiritual', null]) {
        const x = v.transform(t, a)
        const y = v.transformByTerms(t, a)
        expect(Array.from(x.indices)).toEqual(Array.from(y.indices))
        expect(Array.from(x.values)).toEqual(Array.from(y.values))
      }
    }
  })
})
