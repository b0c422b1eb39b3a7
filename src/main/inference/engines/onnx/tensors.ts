import type { TensorValue } from './session'

/** Rows `keep` of a batch-major tensor (dimension 0 is the batch). */
export function selectRows(t: TensorValue, keep: readonly number[]): TensorValue {
  const b = t.dims[0]
  const row = b > 0 ? t.data.length / b : 0
  const dims = [keep.length, ...t.dims.slice(1)]
  if (t.type === 'int64') {
    const out = new BigInt64Array(keep.length * row)
    keep.forEach((r, i) => out.set(t.data.subarray(r * row, (r + 1) * row), i * row))
    return { type: 'int64', data: out, dims }
  }
  if (t.type === 'float32') {
    const out = new Float32Array(keep.length * row)
    keep.forEach((r, i) => out.set(t.data.subarray(r * row, (r + 1) * row), i * row))
    return { type: 'float32', data: out, dims }
  }
  throw new Error(`cannot select rows of a ${t.type} tensor`)
}
