import { describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { parseBytes, readGgufHeader, sha256File } from '../../src/main/inference/gguf'
import { guardFormula, imhiOutputCsv } from '../../src/main/inference/export'
import { truncatePrompt } from '../../src/main/inference/truncate'
import { tinyGguf, writeTinyGguf } from '../support/tiny-gguf'
import { tempDir } from '../support/tmp'
import { createHash } from 'node:crypto'

const dir = tempDir('imhi-gguf-')

describe('GGUF header validation (before llama.cpp sees the file)', () => {
  it('accepts the tiny model the project writes: version 3, counts from the header', async () => {
    const path = writeTinyGguf(join(dir, 'tiny.gguf'))
    const h = await readGgufHeader(path)
    expect(h.version).toBe(3)
    expect(h.tensorCount).toBe(3 + 2 * 9)
    expect(h.metadataCount).toBeGreaterThan(15)
  })

  it('names a file that is not GGUF, an empty file, old GGML and a PyTorch zip', async () => {
    const text = join(dir, 'notes.gguf')
    writeFileSync(text, 'hello, this is text')
    await expect(readGgufHeader(text)).rejects.toThrow(/notes\.gguf is not a GGUF model file/)
    const empty = join(dir, 'empty.gguf')
    writeFileSync(empty, '')
    await expect(readGgufHeader(empty)).rejects.toThrow(/empty/)
    const ggml = join(dir, 'old.bin')
    writeFileSync(ggml, Buffer.concat([Buffer.from('ggjt'), Buffer.alloc(40)]))
    await expect(readGgufHeader(ggml)).rejects.toThrow(/old GGML file/)
    const zip = join(dir, 'pytorch_model.bin')
    writeFileSync(zip, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(40)]))
    await expect(readGgufHeader(zip)).rejects.toThrow(/PyTorch checkpoint/)
  })

  it('refuses a header cut short and an unknown version', async () => {
    const short = join(dir, 'short.gguf')
    writeFileSync(short, tinyGguf().subarray(0, 12))
    await expect(readGgufHeader(short)).rejects.toThrow(/short\.gguf is truncated/)
    const v9 = tinyGguf()
    v9.writeUInt32LE(9, 4)
    const p = join(dir, 'v9.gguf')
    writeFileSync(p, v9)
    await expect(readGgufHeader(p)).rejects.toThrow(/GGUF version 9 is not supported/)
  })

  it('a missing path is not_found, a folder is not a file', async () => {
    await expect(readGgufHeader(join(dir, 'nope.gguf'))).rejects.toMatchObject({ code: 'not_found' })
    await expect(readGgufHeader(dir)).rejects.toThrow(/a folder, not a regular file/)
  })

  it('hashes in a stream: the same SHA-256 as hashing the bytes at once', async () => {
    const buf = tinyGguf({ seed: 9 })
    const p = join(dir, 'h.gguf')
    writeFileSync(p, buf)
    expect(await sha256File(p)).toBe(createHash('sha256').update(buf).digest('hex'))
  })

  it('parses memory sizes', () => {
    expect(parseBytes('512M')).toBe(512 * 2 ** 20)
    expect(parseBytes('8G')).toBe(8 * 2 ** 30)
    expect(parseBytes('100k')).toBe(102400)
    expect(parseBytes('1234')).toBe(1234)
    expect(parseBytes('lots')).toBeNull()
    expect(parseBytes(undefined)).toBeNull()
  })
})

describe('truncation policy', () => {
  const tokens = Array.from({ length: 100 }, (_, i) => i)
  it('keeps a prompt that fits as is', () => {
    const r = truncatePrompt(tokens, 200, 50, 'middle')
    expect(r.tokens).toEqual(tokens)
    expect(r.record).toBeNull()
  })
  it('middle: keeps the head and the tail of the budget, records what it dropped', () => {
    const r = truncatePrompt(tokens, 64, 24, 'middle')
    expect(r.tokens).toHaveLength(40)
    expect(r.tokens.slice(0, 20)).toEqual(tokens.slice(0, 20))
    expect(r.tokens.slice(20)).toEqual(tokens.slice(80))
    expect(r.record).toEqual({ policy: 'middle', promptTokens: 100, keptTokens: 40, droppedTokens: 60 })
  })
  it('error: refuses with the numbers', () => {
    expect(() => truncatePrompt(tokens, 64, 24, 'error')).toThrow(/100 tokens, longer than the 40 tokens/)
  })
  it('max tokens that leave no room is an input error', () => {
    expect(() => truncatePrompt(tokens, 64, 60, 'middle')).toThrow(/leaves no room/)
  })
})

describe('IMHI output CSV (IMHI.py save_output layout)', () => {
  it('writes goldens,generated_text with pandas-style minimal quoting and LF', () => {
    const csv = imhiOutputCsv(
      [
        { goldens: 'Yes. Reasoning: a, b', generatedText: 'plain text' },
        { goldens: 'say "hi"', generatedText: 'line one\nline two' },
        { goldens: ' leading space', generatedText: '' }
      ],
      { guard: false }
    )
    // The bytes Python's csv.writer (QUOTE_MINIMAL, lineterminator "\n") writes for these rows.
    expect(csv).toBe('goldens,generated_text\n"Yes. Reasoning: a, b",plain text\n"say ""hi""","line one\nline two"\n leading space,\n')
    const parsed = Papa.parse<string[]>(csv.trimEnd(), { header: false })
    expect(parsed.errors).toEqual([])
    expect(parsed.data).toEqual([
      ['goldens', 'generated_text'],
      ['Yes. Reasoning: a, b', 'plain text'],
      ['say "hi"', 'line one\nline two'],
      [' leading space', '']
    ])
  })
  it('guards formula-looking cells unless told not to', () => {
    expect(guardFormula('=SUM(A1)')).toBe("'=SUM(A1)")
    expect(guardFormula('+1')).toBe("'+1")
    expect(guardFormula('@cmd')).toBe("'@cmd")
    expect(guardFormula('Yes.')).toBe('Yes.')
    expect(imhiOutputCsv([{ goldens: '=1', generatedText: '-2' }], { guard: true })).toBe("goldens,generated_text\n'=1,'-2\n")
    expect(imhiOutputCsv([{ goldens: '=1', generatedText: '-2' }], { guard: false })).toBe('goldens,generated_text\n=1,-2\n')
  })
})
