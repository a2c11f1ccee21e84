/** Seeded random numbers (reproducible replays) and the samplers the learner needs. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
}

/** mulberry32: small, fast, good enough for simulation; seeded by any 32-bit integer. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    },
  }
}

export const mathRandom: Rng = { next: () => Math.random() }

export function sampleNormal(rng: Rng): number {
  // Box–Muller; 1 − u keeps the log argument in (0, 1].
  const u = 1 - rng.next()
  const v = rng.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 via the Gamma(shape + 1)·U^(1/shape) boost. */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`)
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = sampleNormal(rng)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - rng.next()
    if (u < 1 - 0.0331 * x * x * x * x) return d * v
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
}

export function sampleBeta(rng: Rng, alpha: number, beta: number): number {
  const x = sampleGamma(rng, alpha)
  const y = sampleGamma(rng, beta)
  return x / (x + y)
}

/** Index drawn with probability proportional to `weights` (all zero → uniform). */
export function drawIndex(rng: Rng, weights: readonly number[]): number {
  let total = 0
  for (const w of weights) total += w
  if (!(total > 0)) return Math.floor(rng.next() * weights.length)
  let x = rng.next() * total
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!
    if (x < 0) return i
  }
  return weights.length - 1
}

/** Fisher–Yates, in place. */
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1))
    const tmp = items[i]!
    items[i] = items[j]!
    items[j] = tmp
  }
  return items
}
