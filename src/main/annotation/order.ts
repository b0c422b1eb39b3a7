/**
 * Seeded, reproducible order: mulberry32 (a 32-bit PRNG by Tommy Ettinger, public domain) drives a
 * Fisher-Yates shuffle. The same seed gives the same order on every machine and Node version.
 */
import { mulberry32, shuffled } from '../random'

export { mulberry32 }

/** A shuffled copy (Fisher-Yates, from the end), reproducible from the seed. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  return shuffled(items, mulberry32(seed))
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
