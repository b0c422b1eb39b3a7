import { mulberry32 } from '../../src/main/random'
import { writeFileSync } from 'node:fs'

/**
 * Writes a tiny but complete llama-architecture GGUF (version 3) that llama.cpp loads and runs:
 * F32 random weights from a fixed seed, and a small SentencePiece ("llama") vocabulary: the
 * special tokens, all 256 byte tokens (so any text tokenizes) and the printable ASCII characters
 * plus a few word pieces. It lets the whole real inference path run on a fresh clone without
 * downloading anything. Options also write the bad files the tests need (unknown architecture,
 * a LoRA adapter for the same shapes).
 */

export interface TinyGgufOptions {
  /** general.architecture; anything but "llama" makes an unsupported model. */
  architecture?: string
  layers?: number
  embedding?: number
  heads?: number
  feedForward?: number
  contextLength?: number
  seed?: number
  /** Weight scale: larger makes generations vary more with the prompt. */
  scale?: number
  /** A jinja chat template to embed (tokenizer.chat_template). */
  chatTemplate?: string
  /** Write a LoRA adapter (general.type = adapter) of rank `rank` on attn_q/attn_v instead of a model. */
  lora?: { rank: number; alpha: number }
}

const T = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const
const ALIGN = 32

class Writer {
  private chunks: Buffer[] = []
  size = 0
  push(b: Buffer) {
    this.chunks.push(b)
    this.size += b.length
  }
  u32(v: number) {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(v)
    this.push(b)
  }
  i32(v: number) {
    const b = Buffer.alloc(4)
    b.writeInt32LE(v)
    this.push(b)
  }
  u64(v: number) {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(v))
    this.push(b)
  }
  f32(v: number) {
    const b = Buffer.alloc(4)
    b.writeFloatLE(v)
    this.push(b)
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8')
    this.u64(b.length)
    this.push(b)
  }
  pad() {
    const rem = this.size % ALIGN
    if (rem) this.push(Buffer.alloc(ALIGN - rem))
  }
  buffer() {
    return Buffer.concat(this.chunks)
  }
}

type Kv =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'str'; value: string }
  | { type: 'strs'; value: string[] }
  | { type: 'f32s'; value: number[] }
  | { type: 'i32s'; value: number[] }

function writeKv(w: Writer, key: string, kv: Kv) {
  w.str(key)
  switch (kv.type) {
    case 'u32':
      w.u32(T.U32)
      return w.u32(kv.value)
    case 'f32':
      w.u32(T.F32)
      return w.f32(kv.value)
    case 'bool':
      w.u32(T.BOOL)
      return w.push(Buffer.from([kv.value ? 1 : 0]))
    case 'str':
      w.u32(T.STRING)
      return w.str(kv.value)
    case 'strs':
      w.u32(T.ARRAY)
      w.u32(T.STRING)
      w.u64(kv.value.length)
      for (const s of kv.value) w.str(s)
      return
    case 'f32s':
      w.u32(T.ARRAY)
      w.u32(T.F32)
      w.u64(kv.value.length)
      for (const v of kv.value) w.f32(v)
      return
    case 'i32s':
      w.u32(T.ARRAY)
      w.u32(T.I32)
      w.u64(kv.value.length)
      for (const v of kv.value) w.i32(v)
      return
  }
}


/** The vocabulary: <unk>, <s>, </s>, 256 byte tokens, "▁", printable ASCII, a few word pieces. */
export function tinyVocab(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>']
  const types = [2, 3, 3]
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)
    types.push(6)
  }
  const pieces = ['▁']
  for (let c = 33; c < 127; c++) pieces.push(String.fromCharCode(c))
  for (const w of ['the', 'post', 'poster', 'depression', 'stress', 'yes', 'no', 'Reasoning', 'Question', 'feel', 'sad']) {
    // Every prefix must be a token too: SentencePiece merges adjacent symbols into known pieces.
    for (let i = 1; i <= w.length; i++) {
      const p = '▁' + w.slice(0, i)
      if (!pieces.includes(p)) pieces.push(p)
    }
  }
  const scores = [0, 0, 0, ...new Array(256).fill(0)]
  pieces.forEach((p, i) => {
    tokens.push(p)
    types.push(1)
    // Longer pieces merge first.
    scores.push(-1000 + p.length * 10 - i * 0.001)
  })
  return { tokens, scores, types }
}

export function tinyGguf(opts: TinyGgufOptions = {}): Buffer {
  const arch = opts.architecture ?? 'llama'
  const nLayer = opts.layers ?? 2
  const nEmbd = opts.embedding ?? 32
  const nHead = opts.heads ?? 4
  const nFf = opts.feedForward ?? 64
  const headDim = nEmbd / nHead
  const rand = mulberry32(opts.seed ?? 1234)
  const scale = opts.scale ?? 0.5
  const vocab = tinyVocab()
  const nVocab = vocab.tokens.length

  const tensors: { name: string; dims: number[]; fill: 'one' | 'rand' | 'zero' | 'output' }[] = []
  if (opts.lora) {
    for (let i = 0; i < nLayer; i++) {
      for (const t of ['attn_q', 'attn_v']) {
        tensors.push({ name: `blk.${i}.${t}.weight.lora_a`, dims: [nEmbd, opts.lora.rank], fill: 'rand' })
        tensors.push({ name: `blk.${i}.${t}.weight.lora_b`, dims: [opts.lora.rank, nEmbd], fill: 'rand' })
      }
    }
  } else {
    tensors.push({ name: 'token_embd.weight', dims: [nEmbd, nVocab], fill: 'rand' })
    tensors.push({ name: 'output_norm.weight', dims: [nEmbd], fill: 'one' })
    // The output rows of the special and byte tokens are zero, so generations are mostly
    // readable pieces (and rarely end early) rather than stray bytes.
    tensors.push({ name: 'output.weight', dims: [nEmbd, nVocab], fill: 'output' })
    for (let i = 0; i < nLayer; i++) {
      tensors.push({ name: `blk.${i}.attn_norm.weight`, dims: [nEmbd], fill: 'one' })
      tensors.push({ name: `blk.${i}.attn_q.weight`, dims: [nEmbd, nEmbd], fill: 'rand' })
      tensors.push({ name: `blk.${i}.attn_k.weight`, dims: [nEmbd, nEmbd], fill: 'rand' })
      tensors.push({ name: `blk.${i}.attn_v.weight`, dims: [nEmbd, nEmbd], fill: 'rand' })
      tensors.push({ name: `blk.${i}.attn_output.weight`, dims: [nEmbd, nEmbd], fill: 'rand' })
      tensors.push({ name: `blk.${i}.ffn_norm.weight`, dims: [nEmbd], fill: 'one' })
      tensors.push({ name: `blk.${i}.ffn_gate.weight`, dims: [nEmbd, nFf], fill: 'rand' })
      tensors.push({ name: `blk.${i}.ffn_down.weight`, dims: [nFf, nEmbd], fill: 'rand' })
      tensors.push({ name: `blk.${i}.ffn_up.weight`, dims: [nEmbd, nFf], fill: 'rand' })
    }
  }

  const kvs: [string, Kv][] = [
    ['general.architecture', { type: 'str', value: arch }],
    ['general.name', { type: 'str', value: opts.lora ? 'imhi-tiny-lora' : 'imhi-tiny-test' }],
    ['general.alignment', { type: 'u32', value: ALIGN }]
  ]
  if (opts.lora) {
    kvs.push(['general.type', { type: 'str', value: 'adapter' }])
    kvs.push(['adapter.type', { type: 'str', value: 'lora' }])
    kvs.push(['adapter.lora.alpha', { type: 'f32', value: opts.lora.alpha }])
  } else {
    kvs.push(
      ['general.file_type', { type: 'u32', value: 0 }],
      [`${arch}.context_length`, { type: 'u32', value: opts.contextLength ?? 512 }],
      [`${arch}.embedding_length`, { type: 'u32', value: nEmbd }],
      [`${arch}.block_count`, { type: 'u32', value: nLayer }],
      [`${arch}.feed_forward_length`, { type: 'u32', value: nFf }],
      [`${arch}.rope.dimension_count`, { type: 'u32', value: headDim }],
      [`${arch}.attention.head_count`, { type: 'u32', value: nHead }],
      [`${arch}.attention.head_count_kv`, { type: 'u32', value: nHead }],
      [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: 1e-5 }],
      [`${arch}.vocab_size`, { type: 'u32', value: nVocab }],
      ['tokenizer.ggml.model', { type: 'str', value: 'llama' }],
      ['tokenizer.ggml.tokens', { type: 'strs', value: vocab.tokens }],
      ['tokenizer.ggml.scores', { type: 'f32s', value: vocab.scores }],
      ['tokenizer.ggml.token_type', { type: 'i32s', value: vocab.types }],
      ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
      ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
      ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
      ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
      ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }]
    )
    if (opts.chatTemplate) kvs.push(['tokenizer.chat_template', { type: 'str', value: opts.chatTemplate }])
  }

  const w = new Writer()
  w.push(Buffer.from('GGUF', 'latin1'))
  w.u32(3)
  w.u64(tensors.length)
  w.u64(kvs.length)
  for (const [k, v] of kvs) writeKv(w, k, v)
  let offset = 0
  const datas: Buffer[] = []
  for (const t of tensors) {
    w.str(t.name)
    w.u32(t.dims.length)
    for (const d of t.dims) w.u64(d)
    w.u32(0) // GGML_TYPE_F32
    w.u64(offset)
    const n = t.dims.reduce((a, b) => a * b, 1)
    const data = Buffer.alloc(n * 4)
    for (let i = 0; i < n; i++) {
      const r = (rand() * 2 - 1) * scale
      const v = t.fill === 'one' ? 1 : t.fill === 'zero' ? 0 : t.fill === 'output' && Math.floor(i / nEmbd) < 259 ? 0 : r
      data.writeFloatLE(v, i * 4)
    }
    const padded = Math.ceil(data.length / ALIGN) * ALIGN
    datas.push(padded === data.length ? data : Buffer.concat([data, Buffer.alloc(padded - data.length)]))
    offset += padded
  }
  w.pad()
  for (const d of datas) w.push(d)
  return w.buffer()
}

/** Writes the tiny model (or adapter) to `path` and returns the path. */
export function writeTinyGguf(path: string, opts: TinyGgufOptions = {}): string {
  writeFileSync(path, tinyGguf(opts))
  return path
}
