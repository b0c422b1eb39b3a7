/**
 * Clipped n-gram matches of one pair and order with exact integer keys: the reference's counts go
 * into an open-addressing table, then each translation n-gram consumes one count when any is
 * left; the consumed total is the sum over n-grams of min(translation count, reference count).
 * The table's arrays are reused across pairs (a generation stamp marks live slots).
 */
export class ClipTable {
  private size = 0
  private keys = new Float64Array(0)
  private counts = new Int32Array(0)
  private stamps = new Int32Array(0)
  private generation = 0

  private prepare(n: number): void {
    let size = 64
    while (size < 2 * n + 2) size *= 2
    if (size > this.size) {
      this.size = size
      this.keys = new Float64Array(size)
      this.counts = new Int32Array(size)
      this.stamps = new Int32Array(size)
      this.generation = 0
    }
    this.generation++
  }

  private slot(key: number): number {
    const mask = this.size - 1
    let h = Math.imul((key >>> 0) ^ Math.floor(key / 4294967296), 0x9e3779b1) >>> 0
    for (;;) {
      h &= mask
      if (this.stamps[h] !== this.generation || this.keys[h] === key) return h
      h++
    }
  }

  clipped(ref: Int32Array, hyp: Int32Array, order: number, B: number): number {
    const nr = ref.length - order + 1
    const nh = hyp.length - order + 1
    if (nr <= 0 || nh <= 0) return 0
    this.prepare(nr)
    for (let i = 0; i < nr; i++) {
      const h = this.slot(keyAt(ref, i, order, B))
      if (this.stamps[h] !== this.generation) {
        this.stamps[h] = this.generation
        this.keys[h] = keyAt(ref, i, order, B)
        this.counts[h] = 0
      }
      this.counts[h]++
    }
    let matched = 0
    for (let i = 0; i < nh; i++) {
      const h = this.slot(keyAt(hyp, i, order, B))
      if (this.stamps[h] === this.generation && this.counts[h] > 0) {
        this.counts[h]--
        matched++
      }
    }
    return matched
  }
}

export function keyAt(ids: Int32Array, i: number, order: number, B: number): number {
  let key = 0
  let scale = 1
  for (let k = 0; k < order; k++) {
    key += ids[i + k] * scale
    scale *= B
  }
  return key
}
