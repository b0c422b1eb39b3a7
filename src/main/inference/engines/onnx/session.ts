import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { AppError } from '../../../../shared/api/errors'

/** Execution providers the workbench tries, in order. */
export type Provider = 'cuda' | 'cpu'
export const DEFAULT_PROVIDERS: readonly Provider[] = ['cuda', 'cpu']

/** A tensor as it crosses threads: plain typed arrays, row-major. */
export type TensorValue =
  | { type: 'int64'; data: BigInt64Array; dims: number[] }
  | { type: 'float32'; data: Float32Array; dims: number[] }
  | { type: 'int32'; data: Int32Array; dims: number[] }
  | { type: 'bool'; data: Uint8Array; dims: number[] }

export interface IoInfo {
  name: string
  /** Element type (int64, float32, ...), or null for a non-tensor value. */
  type: string | null
  /** Dimensions: a number, or the symbolic name of a dynamic one ("batch_size"). */
  shape: (number | string)[]
}

export interface GraphSession {
  name: string
  file: string
  session: InferenceSession
  provider: Provider
  inputs: IoInfo[]
  outputs: IoInfo[]
}

/**
 * Whether onnxruntime-node has its CUDA provider library: npm's registry package ships CPU only;
 * the CUDA 12 libraries are a separate download (docs/onnx.md, "ONNX Runtime on a GPU"), placed beside the binding.
 */
export function cudaLibraryPresent(): boolean {
  try {
    const require = createRequire(import.meta.url)
    const root = dirname(require.resolve('onnxruntime-node/package.json'))
    const bin = join(root, 'bin', 'napi-v6', process.platform, process.arch)
    return existsSync(join(bin, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'))
  } catch {
    return false
  }
}

function ioInfo(meta: readonly InferenceSession.ValueMetadata[]): IoInfo[] {
  return meta.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: null, shape: [] }))
}

/**
 * One ONNX graph in ONNX Runtime on the first provider of `providers` that loads it: CUDA where
 * onnxruntime-node has its CUDA library and a GPU answers, else CPU. `fallbacks` collects why a
 * provider was passed over. A file ONNX Runtime cannot read is an AppError naming it.
 */
export async function openSession(name: string, file: string, providers: readonly Provider[], fallbacks: string[], threads?: number): Promise<GraphSession> {
  let lastError: unknown = null
  for (const provider of providers) {
    if (provider === 'cuda' && !cudaLibraryPresent()) {
      fallbacks.push('cuda: onnxruntime-node has no CUDA provider library installed (see docs/onnx.md, "ONNX Runtime on a GPU")')
      continue
    }
    try {
      const session = await InferenceSession.create(file, {
        executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
        graphOptimizationLevel: 'all',
        ...(threads ? { intraOpNumThreads: threads } : {}),
        logSeverityLevel: 3
      })
      return { name, file, session, provider, inputs: ioInfo(session.inputMetadata), outputs: ioInfo(session.outputMetadata) }
    } catch (err) {
      lastError = err
      const message = err instanceof Error ? err.message : String(err)
      if (provider === 'cuda') {
        fallbacks.push(`cuda: ${message.split('\n')[0]}`)
        continue
      }
      break
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError ?? 'no execution provider could load it')
  throw new AppError('bad_file', `${file}: ONNX Runtime cannot load this graph (${message.split('\n')[0]})`, { file })
}

function toOrt(name: string, v: TensorValue): Tensor {
  const count = v.dims.reduce((a, d) => a * d, 1)
  if (!v.dims.every((d) => Number.isInteger(d) && d >= 0) || count !== v.data.length) {
    throw new AppError('invalid_input', `input ${name}: ${v.data.length} values do not fill dims [${v.dims.join(', ')}]`)
  }
  return v.type === 'bool' ? new Tensor('bool', v.data, v.dims) : new Tensor(v.type, v.data as never, v.dims)
}

function fromOrt(name: string, t: unknown): TensorValue {
  const tensor = t as Tensor
  const dims = [...tensor.dims]
  switch (tensor.type) {
    case 'int64':
      return { type: 'int64', data: tensor.data as BigInt64Array, dims }
    case 'float32':
      return { type: 'float32', data: tensor.data as Float32Array, dims }
    case 'int32':
      return { type: 'int32', data: tensor.data as Int32Array, dims }
    case 'bool':
      return { type: 'bool', data: tensor.data as Uint8Array, dims }
    default:
      throw new AppError('unsupported', `output ${name}: tensor type ${tensor.type} is not supported`)
  }
}

/**
 * Runs one graph on named tensors. Inputs must be the graph's inputs exactly (a missing or
 * unknown name is an error naming the graph); `outputs` limits what is returned (default all).
 */
export async function runSession(g: GraphSession, feeds: Record<string, TensorValue>, outputs?: readonly string[]): Promise<Record<string, TensorValue>> {
  const expected = g.inputs.map((i) => i.name)
  const missing = expected.filter((n) => !(n in feeds))
  const unknown = Object.keys(feeds).filter((n) => !expected.includes(n))
  if (missing.length > 0 || unknown.length > 0) {
    throw new AppError('invalid_input', `${g.file}: ${missing.length > 0 ? `missing input ${missing.join(', ')}` : ''}${missing.length > 0 && unknown.length > 0 ? '; ' : ''}${unknown.length > 0 ? `unknown input ${unknown.join(', ')}` : ''} (the graph takes ${expected.join(', ')})`, { file: g.file })
  }
  const wanted = outputs ?? g.outputs.map((o) => o.name)
  const badOut = wanted.filter((n) => !g.outputs.some((o) => o.name === n))
  if (badOut.length > 0) throw new AppError('invalid_input', `${g.file}: no output ${badOut.join(', ')} (it has ${g.outputs.map((o) => o.name).join(', ')})`, { file: g.file })
  const ortFeeds: Record<string, Tensor> = {}
  for (const [name, v] of Object.entries(feeds)) ortFeeds[name] = toOrt(name, v)
  let result: InferenceSession.ReturnType
  try {
    result = await g.session.run(ortFeeds, [...wanted])
  } catch (err) {
    throw new AppError('bad_file', `${g.file}: ONNX Runtime failed to run the graph (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`, { file: g.file })
  }
  const out: Record<string, TensorValue> = {}
  for (const name of wanted) out[name] = fromOrt(name, result[name])
  return out
}
