import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { checkRegularFileSync, openRegularFile } from '../files/regular'
import { basename } from 'node:path'
import { AppError } from '../../shared/api/errors'

export interface GgufHeader {
  version: number
  tensorCount: number
  metadataCount: number
  sizeBytes: number
}

const MAGIC = 'GGUF'

/**
 * Checks what can be checked from the first 24 bytes, before llama.cpp sees the file: that it is
 * a regular file, a GGUF (magic), of a version llama.cpp reads (2 or 3), with sane counts. Other
 * formats get a message saying what they are and how to convert them.
 */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  const name = basename(path)
  const { handle: fh, size } = await openRegularFile(path, { maxBytes: Infinity })
  const buf = Buffer.alloc(24)
  try {
    await fh.read(buf, 0, 24, 0)
  } finally {
    await fh.close()
  }
  const head = buf.subarray(0, Math.min(size, 24))
  if (size < 4 || head.subarray(0, 4).toString('latin1') !== MAGIC) {
    throw new AppError('bad_file', `${name} is not a GGUF model file${describeOther(head, size)}.`, { file: path })
  }
  if (size < 24) throw new AppError('bad_file', `${name} is truncated: ${size} bytes, shorter than a GGUF header.`, { file: path })
  const version = buf.readUInt32LE(4)
  if (version !== 2 && version !== 3) {
    throw new AppError('unsupported', `${name}: GGUF version ${version} is not supported (llama.cpp reads versions 2 and 3).`, { file: path, version })
  }
  const tensorCount = Number(buf.readBigUInt64LE(8))
  const metadataCount = Number(buf.readBigUInt64LE(16))
  if (tensorCount > 1_000_000 || metadataCount > 1_000_000) {
    throw new AppError('bad_file', `${name}: the GGUF header is corrupt (${tensorCount} tensors, ${metadataCount} metadata keys).`, { file: path })
  }
  return { version, tensorCount, metadataCount, sizeBytes: size }
}

function describeOther(head: Buffer, size: number): string {
  if (size === 0) return ' (the file is empty)'
  const ascii = head.subarray(0, 4).toString('latin1')
  if (ascii === 'ggjt' || ascii === 'tjgg' || ascii === 'ggml' || ascii === 'lmgg') {
    return ': it is an old GGML file; convert it to GGUF with llama.cpp (convert_hf_to_gguf.py from the original weights)'
  }
  if (head[0] === 0x50 && head[1] === 0x4b) return ': it looks like a PyTorch checkpoint (zip); convert it with llama.cpp\'s convert_hf_to_gguf.py'
  if (size >= 8 && head.readBigUInt64LE(0) < 100_000_000n && head[8] === 0x7b) {
    return ': it looks like a safetensors file; convert it with llama.cpp\'s convert_hf_to_gguf.py'
  }
  return ' (GGUF files start with the bytes "GGUF")'
}

/** SHA-256 of a file, read as a stream (a 7 GB model never sits in memory). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    let stream: ReturnType<typeof createReadStream>
    try {
      // Checked first: a FIFO would never end the stream.
      checkRegularFileSync(path, { maxBytes: Infinity })
      stream = createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })
    } catch (err) {
      reject(err)
      return
    }
    stream.on('data', (chunk) => hash.update(chunk))
    stream.on('error', (err) => reject(new AppError('bad_file', `${basename(path)}: cannot read the file (${err.message}).`, { file: path })))
    stream.on('end', () => resolve(hash.digest('hex')))
  })
}

/** Parses a memory size: plain bytes or with K/M/G suffix (binary units), e.g. "512M". */
export function parseBytes(value: string | undefined): number | null {
  if (!value) return null
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(value)
  if (!m) return null
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't']
  return Math.round(Number(m[1]) * mult)
}
