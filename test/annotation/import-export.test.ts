import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { escapeCell, unescapeCell, parseScoreList, formatScoreList } from '../../src/main/annotation/csv'
import { ratingsFromFile } from '../../src/main/annotation/io'

const HEADER = 'text,label,gpt-3.5-turbo,fluency,completeness,reliability,overall'

describe('formula-injection escaping', () => {
  it('prefixes risky cells and is reversible', () => {
    for (const v of ['=1+1', '+49 123', '-3', '@SUM(A1)', '\tx', '\rx', "'=already", "''+x"]) {
      expect(escapeCell(v).startsWith("'")).toBe(true)
      expect(unescapeCell(escapeCell(v))).toBe(v)
    }
    for (const v of ['plain', '[3, 3, 2]', "it's", "'quoted'", '']) {
      expect(escapeCell(v)).toBe(v)
      expect(unescapeCell(v)).toBe(v)
    }
  })

  it('reads and writes score lists in the released format', () => {
    expect(parseScoreList('[3, 3, 2]')).toEqual([3, 3, 2])
    expect(parseScoreList('[1,null, 0]')).toEqual([1, null, 0])
    expect(parseScoreList('3, 3')).toBeNull()
    expect(parseScoreList('[a, 1]')).toBeNull()
    expect(formatScoreList([3, null, 2])).toBe('[3, null, 2]')
  })
})

describe('CSV import and export', () => {
  const s = testServices()
  const dir = tempDir()
  const write = (name: string, text: string) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }

  it('imports the imhi layout and exports it again, escaping formulas in the long layout', () => {
    const p = write(
      'small.csv',
      `${HEADER}\n"=HYPERLINK(""x"")",1,"- a dash first","[3, 2, 1]","[0, 1, 2]","[3, 3, 3]","[2, 2, 2]"\nSecond post,0,Fine.,"[1, 1, 1]","[2, 2, 2]","[3, 3, 3]","[0, 0, 0]"\n`
    )
    const r = s.annotation.importCsv(p)
    expect(r).toMatchObject({ layout: 'imhi', items: 2, ratings: 24, studyName: 'small' })
    const out = s.annotation.exportCsv({ studyId: r.studyId, format: 'imhi', bom: false })
    const rows = Papa.parse<string[]>(out.text!, { skipEmptyLines: true }).data
    expect(rows[0]).toEqual(HEADER.split(','))
    expect(rows[1][0]).toBe(`'=HYPERLINK("x")`) // neutralised for spreadsheets
    expect(rows[1][2]).toBe("'- a dash first")
    expect(rows[1].slice(3)).toEqual(['[3, 2, 1]', '[0, 1, 2]', '[3, 3, 3]', '[2, 2, 2]'])
    // importing the export gives the original texts back (the escape is undone)
    const again = s.annotation.importCsv(write('again.csv', out.text!))
    const post = s.db.prepare('SELECT post, explanation FROM study_items WHERE study_id = ? ORDER BY position').get(again.studyId)
    expect(post).toEqual({ post: '=HYPERLINK("x")', explanation: '- a dash first' })
  })

  it('exports the long layout with one row per item x annotator x aspect, and imports it back', () => {
    const long = s.annotation.exportCsv({ studyId: 1, format: 'long', bom: true })
    expect(long.text!.charCodeAt(0)).toBe(0xfeff)
    const rows = Papa.parse<string[]>(long.text!.slice(1), { skipEmptyLines: true }).data
    expect(rows[0]).toEqual(['item_id', 'annotator', 'aspect', 'score', 'source', 'dataset', 'seconds', 'flagged', 'note', 'rated_at', 'scale_min', 'scale_max', 'adjudicated'])
    expect(rows).toHaveLength(1 + 24)
    expect(rows[1].slice(0, 5)).toEqual(['small:1', 'annotator 1', 'fluency', '3', 'small'])
    const p = write('long.csv', long.text!)
    const r = s.annotation.importCsv(p, 'from long')
    expect(r).toMatchObject({ layout: 'long', items: 2, ratings: 24, annotators: ['annotator 1', 'annotator 2', 'annotator 3'] })
    const before = s.annotation.agreement(1)
    const after = s.annotation.agreement(r.studyId)
    expect(after.aspects).toEqual(before.aspects)
    // the file alone gives the same figures (imhi agreement LONG.csv)
    const { ratings } = ratingsFromFile(p)
    expect(ratings).toHaveLength(24)
  })

  const bad: [string, string, RegExp][] = [
    ['score out of range', `${HEADER}\np,1,e,"[3, 4, 1]","[0, 1, 2]","[3, 3, 3]","[2, 2, 2]"\n`, /data row 1, column "fluency", score 4 is outside 0-3/],
    ['wrong number of annotators', `${HEADER}\np,1,e,"[3, 2, 1]","[0, 1, 2]","[3, 3, 3]","[2, 2, 2]"\nq,1,f,"[3, 2]","[0, 1, 2]","[3, 3, 3]","[2, 2, 2]"\n`, /data row 2, column "fluency", 2 scores, but data row 1 has 3/],
    ['duplicate items', `${HEADER}\np,1,e,"[3, 2, 1]","[0, 1, 2]","[3, 3, 3]","[2, 2, 2]"\np,1,e,"[3, 2, 1]","[0, 1, 2]","[3, 3, 3]","[2, 2, 2]"\n`, /data row 2, column "text", duplicate item: the same post and explanation as data row 1/],
    ['not a list', `${HEADER}\np,1,e,3,"[0, 1, 2]","[3, 3, 3]","[2, 2, 2]"\n`, /column "fluency", "3" is not a list of scores/],
    ['unknown layout', `post,explanation,score\na,b,3\n`, /unknown CSV layout .*Expected the imhi layout/],
    ['long: bad score', `item_id,annotator,aspect,score\na,x,fluency,2\na,y,fluency,two\n`, /data row 2, column "score", "two" is not an integer score/],
    ['long: duplicate rating', `item_id,annotator,aspect,score\na,x,fluency,2\na,x,fluency,3\n`, /data row 2, column "item_id", duplicate rating: item "a", annotator "x", aspect "fluency" already in data row 1/],
    ['long: out of range', `item_id,annotator,aspect,score\na,x,overall,7\n`, /score 7 is outside 0-3/],
    ['empty file', ``, /empty/],
    ['short row', `${HEADER}\np,1,e,"[3, 2, 1]"\n`, /data row 1, has 4 cells, the header has 7/]
  ]
  for (const [name, text, message] of bad) {
    it(`rejects ${name} with a message naming the file, row and column, and imports nothing`, () => {
      const studies = s.annotation.listStudies().length
      const ratings = s.db.prepare('SELECT count(*) FROM ratings').pluck().get()
      const p = write(`${name.replace(/\W+/g, '_')}.csv`, text)
      expect(() => s.annotation.importCsv(p)).toThrow(message)
      expect(() => s.annotation.importCsv(p)).toThrow(p)
      expect(s.annotation.listStudies().length).toBe(studies)
      expect(s.db.prepare('SELECT count(*) FROM ratings').pluck().get()).toBe(ratings)
    })
  }

  it('rejects a file that is not UTF-8', () => {
    const p = join(dir, 'latin1.csv')
    writeFileSync(p, Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from(',1,e,"[1]","[1]","[1]","[1]"\n')]))
    expect(() => s.annotation.importCsv(p)).toThrow(/not UTF-8/)
  })

  it('writes export files whole (no temporary file left behind)', () => {
    const path = join(dir, 'out', 'study.csv')
    const r = s.annotation.exportCsv({ studyId: 1, format: 'imhi', path, bom: false })
    expect(r.rows).toBe(2)
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(HEADER)
  })
})
