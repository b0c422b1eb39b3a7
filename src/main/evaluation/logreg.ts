import type { SparseVector } from './tfidf'

/**
 * Multinomial (softmax) logistic regression with L2 regularization on sparse features, trained
 * by plain stochastic gradient descent in a seeded order: the same data give the same weights,
 * on every machine. L2 is applied lazily through a global scale (Bottou's trick) so one update
 * costs only the example's non-zero features.
 */
export interface LogRegModel {
  classes: string[]
  features: number
  /** Row-major [feature][class]. */
  weights: Float32Array
  bias: Float32Array
}

export interface TrainOptions {
  epochs?: number
  learningRate?: number
  l2?: number
  seed?: number
}

import { mulberry32 as seededRandom, shuffled } from '../random'

export { seededRandom, shuffled }

export function trainLogReg(x: readonly SparseVector[], y: readonly string[], features: number, classes: readonly string[], opts: TrainOptions = {}): LogRegModel {
  const epochs = opts.epochs ?? 12
  const lr0 = opts.learningRate ?? 0.5
  const l2 = opts.l2 ?? 1e-5
  const rand = seededRandom(opts.seed ?? 42)
  const K = classes.length
  const classIndex = new Map(classes.map((c, i) => [c, i]))
  const W = new Float64Array(features * K)
  const b = new Float64Array(K)
  let scale = 1
  const p = new Float64Array(K)
  const order = x.map((_, i) => i)
  let step = 0
  const total = Math.max(1, epochs * x.length)
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const i of shuffled(order, rand)) {
      const lr = lr0 / (1 + (4 * step) / total)
      step++
      const { indices, values } = x[i]
      const yi = classIndex.get(y[i])
      if (yi === undefined) throw new Error(`label "${y[i]}" is not one of ${classes.join(', ')}`)
      let max = -Infinity
      for (let k = 0; k < K; k++) {
        let z = b[k]
        for (let f = 0; f < indices.length; f++) z += W[indices[f] * K + k] * values[f] * scale
        p[k] = z
        if (z > max) max = z
      }
      let sum = 0
      for (let k = 0; k < K; k++) {
        p[k] = Math.exp(p[k] - max)
        sum += p[k]
      }
      scale *= 1 - lr * l2
      if (scale < 1e-9) {
        for (let j = 0; j < W.length; j++) W[j] *= scale
        scale = 1
      }
      for (let k = 0; k < K; k++) {
        const g = p[k] / sum - (k === yi ? 1 : 0)
        if (g === 0) continue
        b[k] -= lr * g
        const gs = (lr * g) / scale
        for (let f = 0; f < indices.length; f++) W[indices[f] * K + k] -= gs * values[f]
      }
    }
  }
  const weights = new Float32Array(W.length)
  for (let j = 0; j < W.length; j++) weights[j] = W[j] * scale
  return { classes: [...classes], features, weights, bias: Float32Array.from(b) }
}

/** Class probabilities of one example. */
export function predictProba(model: LogRegModel, x: SparseVector): number[] {
  const K = model.classes.length
  const z = Array.from(model.bias)
  for (let f = 0; f < x.indices.length; f++) {
    const base = x.indices[f] * K
    const v = x.values[f]
    for (let k = 0; k < K; k++) z[k] += model.weights[base + k] * v
  }
  const max = Math.max(...z)
  const e = z.map((v) => Math.exp(v - max))
  const s = e.reduce((a, v) => a + v, 0)
  return e.map((v) => v / s)
}

export function predict(model: LogRegModel, x: SparseVector): { label: string; probability: number } {
  const p = predictProba(model, x)
  let best = 0
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k
  return { label: model.classes[best], probability: p[best] }
}
