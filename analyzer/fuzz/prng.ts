// A seeded generator, so that a fuzz case is named by (seed, case number) and
// replays the same on every machine. mulberry32: 32 bits of state, plenty for
// choosing mutations, and no dependency.

export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** uniform in [0, 2^32) */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** uniform in [0, n); 0 when n <= 0 */
  int(n: number): number {
    return n > 0 ? Math.floor((this.u32() / 4294967296) * n) : 0;
  }

  /** uniform in [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  /** an item chosen with probability proportional to its weight */
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    const total = xs.reduce((n, [, w]) => n + w, 0);
    let r = this.int(total);
    for (const [x, w] of xs) {
      if (r < w) return x;
      r -= w;
    }
    return xs[xs.length - 1][0];
  }
}

/** The seed of case `i` of a run: cases are independent, so any one can be replayed alone. */
export function caseSeed(seed: number, i: number): number {
  // splitmix32 of the pair
  let z = (seed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
