/**
 * Seeded, reproducible order: mulberry32 (a 32-bit PRNG by Tommy Ettinger, public domain) drives a
 * Fisher-Yates shuffle. The same seed gives the same order on every machine and Node version.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A shuffled copy (Fisher-Yates, from the end). */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  const next = mulberry32(seed)
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    const tmp = out[i]
    out[i] = out[j]
    out[j] = tmp
  }
  return out
}

/** A derived 32-bit seed (FNV-1a over the parts): one per annotator from the study's seed. */
export function deriveSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0)!
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** A fresh random 32-bit seed, for studies created without one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0
}
