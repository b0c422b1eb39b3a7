import { describe, expect, it } from 'vitest'
import { goldExplanation, goldLabel, hasGoldExplanation, labelSentence, splitQuery, stripPostPrefix, stripQuestionPrefix } from '../../src/main/imhi/labels'
import { toFtsQuery } from '../../src/main/imhi/search'
import { datasetFromName, isValidationName, placeByPath } from '../../src/main/imhi/layout'

describe('goldLabel', () => {
  it.each([
    ['DR', 'Yes, the poster suffers from depression. Reasoning: x', 'yes'],
    ['DR', 'No, the poster does not suffer from depression. Reasoning: x', 'no'],
    ['DR', 'yes. Reasoning: x', 'yes'],
    ['DR', 'no. Reasoning: x', 'no'],
    ['Irf', 'yes.. Reasoning: x', 'yes'],
    ['Irf', 'yes, the post does show a risk of thwarted belongingness. Reasoning: x', 'yes'],
    ['MultiWD', 'No, this wellness dimension does not exist in the post. Reasoning: x', 'no'],
    ['MultiWD', 'yes, the wellness dimension of the intellectual aspect exists in this post. Reasoning: x', 'yes'],
    ['loneliness', 'The poster does not suffer from loneliness. Reasoning: x', 'no'],
    ['dreaddit', 'YES. Reasoning: x', 'yes'],
    ['CAMS', 'This post shows no causes of depression. Reasoning: x', 'none'],
    ['CAMS', 'none. Reasoning: x', 'none'],
    ['CAMS', 'This post shows causes of depression related to jobs and career. Reasoning: x', 'jobs and career'],
    ['CAMS', 'bias or abuse. Reasoning: x', 'bias or abuse'],
    ['SAD', 'This post shows other stress causes. Reasoning: x', 'other stress causes'],
    ['SAD', 'other causes. Reasoning: x', 'other stress causes'],
    ['SAD', 'This post shows the stress cause related to emotion turmoil. Reasoning: x', 'emotional turmoil'],
    ['SAD', 'emotional turmoil. Reasoning: x', 'emotional turmoil'],
    ['SAD', 'This post shows the stress cause related to everyday decision making. Reasoning: x', 'everyday decision making'],
    ['SAD', 'This post shows the stress cause related to Financial Problem. Reasoning: x', 'financial problem'],
    ['t-sid', 'This post shows PTSD. Reasoning: x', 'ptsd'],
    ['t-sid', 'This post shows suicide or self-harm tendency. Reasoning: x', 'suicide or self-harm'],
    ['t-sid', 'no mental disorders. Reasoning: x', 'none'],
    ['t-sid', 'depression. Reasoning: x', 'depression'],
    ['swmh', 'This post shows mental disorder symptoms related to bipolar disorder. Reasoning: x', 'bipolar disorder'],
    ['swmh', 'This post shows no mental disorder symptoms. Reasoning: x', 'none'],
    ['swmh', 'This post shows mental disorder symptoms related to suicide. Reasoning: x', 'suicide'],
    // Dataset names are matched case-insensitively, as file names vary.
    ['T-SID', 'ptsd. Reasoning: x', 'ptsd'],
    // No "Reasoning:": the first sentence carries the label.
    ['DR', 'Yes, the poster suffers from depression. The post shows hopelessness.', 'yes']
  ])('%s: %s -> %s', (dataset, response, label) => {
    expect(goldLabel(dataset, response)).toBe(label)
  })

  it('returns null for an unknown dataset, an empty response, or two classes at once', () => {
    expect(goldLabel('CLP', 'Yes. Reasoning: x')).toBeNull()
    expect(goldLabel('DR', '')).toBeNull()
    expect(goldLabel('SAD', 'This post shows work and school. Reasoning: x')).toBeNull()
    expect(goldLabel('CAMS', 'This post shows something else entirely. Reasoning: x')).toBeNull()
  })

  it('does not read the label from the reasoning', () => {
    expect(labelSentence('no. Reasoning: yes, yes, yes.')).toBe('no.')
    expect(goldLabel('DR', 'no. Reasoning: yes, the poster says yes.')).toBe('no')
  })
})

describe('goldExplanation', () => {
  it('is the text from "Reasoning:" on, without the label sentence', () => {
    expect(goldExplanation('yes. Reasoning: The post shows despair.')).toBe('Reasoning: The post shows despair.')
    expect(goldExplanation('yes, nothing else')).toBeNull()
  })
})

describe('splitQuery', () => {
  it('splits instruction-style queries, keeping quotes and "Question:" inside the post', () => {
    const q = 'Consider this post: "He said "Question: why?" and left, again." Question: Does the poster suffer from depression?'
    expect(splitQuery(q)).toEqual({ post: 'He said "Question: why?" and left, again.', question: 'Does the poster suffer from depression?' })
  })
  it('splits completion-style queries', () => {
    const q = 'Post: line one\nline two  Question: The answer to the question "Does the poster suffers from stress?" is '
    expect(splitQuery(q)).toEqual({ post: 'line one\nline two', question: 'The answer to the question "Does the poster suffers from stress?" is' })
  })
  it('keeps a query without a question whole', () => {
    expect(splitQuery('just some text')).toEqual({ post: 'just some text', question: null })
  })
  it('strips the completion-file prefixes', () => {
    expect(stripPostPrefix('Post: hello')).toBe('hello')
    expect(stripQuestionPrefix(' Question: This post shows the stress cause of ')).toBe('This post shows the stress cause of')
    expect(stripQuestionPrefix('  ')).toBeNull()
  })
})

describe('layout', () => {
  it('places files by their folders and names the layout path', () => {
    expect(placeByPath('/x/y/test_data/test_instruction/DR.csv')).toMatchObject({ kind: 'items', dataset: 'DR', split: 'test_instruction', layoutPath: 'test_data/test_instruction/DR.csv' })
    expect(placeByPath('C:\\data\\test_complete\\t-sid.csv')).toMatchObject({ split: 'test_complete', dataset: 't-sid' })
    expect(placeByPath('/r/human_evaluation/test_instruction_expert/swmh.csv')).toMatchObject({ split: 'expert', dataset: 'swmh' })
    expect(placeByPath('/r/human_evaluation/DR_annotation/gpt3_data.csv')).toMatchObject({ kind: 'reference_ratings', dataset: 'DR' })
    expect(placeByPath('/r/train_data/complete_data/DR/reddit_valid.csv')).toMatchObject({ split: 'val_complete', dataset: 'DR', layoutPath: 'train_data/complete_data/DR/reddit_valid.csv' })
    expect(placeByPath('/r/train_data/instruction_data/SAD/train.csv')).toMatchObject({ split: 'train_instruction', dataset: 'SAD' })
    expect(placeByPath('/r/examples/response_generation_examples/Irf.csv')).toMatchObject({ kind: 'outputs' })
    expect(placeByPath('/r/other/DR.csv')).toBeNull()
    expect(placeByPath('/r/test_data/test_instruction/notes.txt')).toBeNull()
  })
  it('reads validation and dataset names from file names', () => {
    expect(isValidationName('reddit_valid.csv')).toBe(true)
    expect(isValidationName('val.csv')).toBe(true)
    expect(isValidationName('dreaddit-train.csv')).toBe(false)
    expect(isValidationName('interval.csv')).toBe(false)
    expect(datasetFromName('dreaddit-train.csv')).toBe('dreaddit')
    expect(datasetFromName('SAD_val.csv')).toBe('SAD')
    expect(datasetFromName('t-sid.csv')).toBe('t-sid')
    expect(datasetFromName('reddit_train.csv')).toBeNull()
  })
})

describe('toFtsQuery', () => {
  it('quotes every word and keeps phrases, prefixes, OR and exclusions', () => {
    expect(toFtsQuery('sleep')).toBe('"sleep"')
    expect(toFtsQuery('sleep anxiety')).toBe('("sleep" AND "anxiety")')
    expect(toFtsQuery('"can\'t sleep"')).toBe('"can\'t sleep"')
    expect(toFtsQuery('insomn*')).toBe('"insomn"*')
    expect(toFtsQuery('panic OR anxiety')).toBe('("panic" OR "anxiety")')
    expect(toFtsQuery('sleep -pills')).toBe('"sleep" NOT "pills"')
  })
  it('turns syntax into plain words, so nothing a user types can break the query', () => {
    expect(toFtsQuery('"foo')).toBe('"foo"')
    expect(toFtsQuery('AND OR (')).toBe('"AND"')
    expect(toFtsQuery('( ) * -')).toBeNull()
    expect(toFtsQuery('( " - OR')).toBe('"- OR"')
    expect(toFtsQuery('a"b')).toBe('("a" AND "b")')
    expect(toFtsQuery('col:value NEAR(x y)')).toBe('("col:value" AND "NEAR(x" AND "y)")')
    expect(toFtsQuery('-only')).toBeNull()
  })
})

describe('decodeUtf8', () => {
  it('agrees with TextDecoder fatal mode, drops a BOM and names the first bad byte', async () => {
    const { decodeUtf8, firstInvalidUtf8 } = await import('../../src/main/imhi/csv')
    const ok = Buffer.from('\ufeffcafé, 💙\nok')
    expect(decodeUtf8(ok, 'f.csv')).toBe('café, 💙\nok')
    for (const bytes of [[0x61, 0xe9, 0x62], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x61, 0xe2, 0x82]]) {
      const buf = Buffer.from(bytes)
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(buf)).toThrow()
      expect(() => decodeUtf8(buf, 'f.csv')).toThrow(/f\.csv: not valid UTF-8/)
      expect(firstInvalidUtf8(buf)).toBeGreaterThanOrEqual(0)
    }
    expect(firstInvalidUtf8(Buffer.from('ab\n\ncd'))).toBe(-1)
    expect(() => decodeUtf8(Buffer.from([0x61, 0x0a, 0x62, 0x0a, 0xff]), 'f.csv')).toThrow(/byte 4, line 3/)
  })
})

describe('parseCsv', () => {
  it('always splits on commas, whatever the first line looks like', async () => {
    const { parseCsv } = await import('../../src/main/imhi/csv')
    const r = parseCsv('query,gpt-3.5-turbo\n"a;b;c\tx","yes; no"\r\n', 'f.csv')
    expect(r.header).toEqual(['query', 'gpt-3.5-turbo'])
    expect(r.rows).toEqual([['a;b;c\tx', 'yes; no']])
  })
})

describe('hasGoldExplanation', () => {
  it('says exactly when goldExplanation finds one', () => {
    const cases = [null, '', 'yes.', 'Yes. Reasoning: tired.', 'no. reasoning : none', 'No. Reasoning:', 'Reasoning:', 'the reasoningless post', 'x. Reasoning:   \n']
    for (const c of cases) expect(hasGoldExplanation(c), JSON.stringify(c)).toBe(goldExplanation(c) !== null)
  })
})
