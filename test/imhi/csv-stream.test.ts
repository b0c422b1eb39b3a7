import { describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { csvRows, decodeUtf8, parseCsv, readLimited, scanCsvFile } from '../../src/main/imhi/csv'
import { AppError } from '../../src/shared/api/errors'
import { tempDir } from '../support/tmp'
import { writeImhiFixture } from '../support/imhi-fixture'
import { hasSharedImhi, SHARED_IMHI } from '../support/shared'
import { csvFiles } from '../../bench/support/scaled-imhi'

// The streaming reader (two passes over fixed-size pieces) must give exactly what reading the
// whole file gave: the same header and rows, the same errors naming the same row, byte and line,
// whatever the piece size (pieces that split a CRLF, a doubled quote, a multi-byte character).


function whole(file: string): { header: string[]; rows: string[][] } | string {
  try {
    const buf = readLimited(file, 'f.csv')
    return parseCsv(decodeUtf8(buf, 'f.csv'), 'f.csv')
  } catch (err) {
    return AppError.from(err).message
  }
}

function streamed(file: string, chunk: number): { header: string[]; rows: string[][] } | string {
  try {
    const { sha256 } = scanCsvFile(file, 'f.csv', undefined, chunk)
    const all = [...csvRows(file, 'f.csv', sha256, undefined, chunk)]
    return { header: all[0], rows: all.slice(1) }
  } catch (err) {
    return AppError.from(err).message
  }
}

/** The same read as one pass (no scan first): the hash and size come with the last row. */
function once(file: string, chunk: number): { header: string[]; rows: string[][] } | string {
  try {
    let end: { sha256: string; sizeBytes: number } | null = null
    const all = [...csvRows(file, 'f.csv', null, undefined, chunk, (e) => (end = e))]
    const { sha256, sizeBytes } = scanCsvFile(file, 'f.csv')
    expect(end).toEqual({ sha256, sizeBytes })
    return { header: all[0], rows: all.slice(1) }
  } catch (err) {
    return AppError.from(err).message
  }
}

const TRICKY = [
  'query,gpt\r\n"a",yes\n"b\nc",no\r\n"d, ""q""",yes\r\n"e\r\nf",no\r\n',
  '\ufeffquery,gpt\n"é ü 😀 ok","yes"\n\n  \n"x""","no"\r',
  'query,gpt\r"a",yes\r"b",no\r',
  'query,gpt\n"a",yes\n"unclosed,no\n"c",yes\n',
  'query,gpt\n"a",yes\n"b",no,extra\n',
  '\n\n',
  '',
  'query,gpt\n"a",yes\n"b"x,no\n',
  'query,gpt\na,b\n'.repeat(50),
  // A quote inside a field (not opening a cell) before a CR; a CR right after a doubled quote in a cell.
  'query,gpt\r\nab"c,"d\r\ne"\r\nx,"y""\r\nz"\r\n"",\r\r\n'
]

describe('streaming CSV reading equals whole-file reading', () => {
  const dir = tempDir()

  it('tricky texts, every piece size from 1 to 17 bytes and a large one', () => {
    TRICKY.forEach((text, k) => {
      const file = join(dir, `t${k}.csv`)
      writeFileSync(file, text)
      const expected = whole(file)
      for (const chunk of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 4096]) {
        expect(streamed(file, chunk), `text ${k}, pieces of ${chunk}`).toEqual(expected)
        expect(once(file, chunk), `text ${k}, one pass, pieces of ${chunk}`).toEqual(expected)
      }
    })
  })

  it('bad UTF-8: the same byte and line whatever the piece size', () => {
    const file = join(dir, 'bad.csv')
    writeFileSync(file, Buffer.concat([Buffer.from('query,gpt\n"a",yes\n"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('",no\n')]))
    const expected = whole(file)
    expect(expected).toMatch(/not valid UTF-8 \(byte 22, line 3\)/)
    for (const chunk of [1, 2, 3, 5, 22, 23, 24, 4096]) {
      expect(streamed(file, chunk)).toEqual(expected)
      expect(once(file, chunk)).toEqual(expected)
    }
    // A file cut inside a multi-byte character.
    writeFileSync(file, Buffer.concat([Buffer.from('query,gpt\n"a",yes\n"caf'), Buffer.from([0xe2, 0x82])]))
    for (const chunk of [1, 2, 7, 4096]) {
      expect(streamed(file, chunk)).toEqual(whole(file))
      expect(once(file, chunk)).toEqual(whole(file))
    }
  })

  it('a file that changes between the hash and the parse is refused', () => {
    const file = join(dir, 'moving.csv')
    writeFileSync(file, 'query,gpt\n"a",yes\n')
    const { sha256 } = scanCsvFile(file, 'moving.csv')
    writeFileSync(file, 'query,gpt\n"b",yes\n')
    expect(() => [...csvRows(file, 'moving.csv', sha256)]).toThrow(/moving\.csv: the file changed while it was being imported/)
    expect(sha256).toBe(createHash('sha256').update('query,gpt\n"a",yes\n').digest('hex'))
  })

  it('the committed fixture and (when present) every released IMHI file, in pieces of 1000 bytes and 64 KB', () => {
    const files = [...csvFiles(writeImhiFixture(dir)), ...(hasSharedImhi ? csvFiles(SHARED_IMHI) : [])]
    for (const file of files) {
      const expected = whole(file)
      for (const chunk of [1000, 65536]) expect(streamed(file, chunk), `${file}, pieces of ${chunk}`).toEqual(expected)
    }
    if (!hasSharedImhi) console.warn(`the released files were not compared: ${SHARED_IMHI} not found`)
  }, 120_000)
})
