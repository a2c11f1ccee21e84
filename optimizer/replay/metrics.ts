import type { ReplayTrace } from './simulate.ts'

export interface PassSummary {
  quality: number
  costUsd: number
  /** Share of requests sent to `strongest`. */
  strongestShare: number
  /** The always-strongest policy on the same stream. */
  strongestQuality: number
  strongestCostUsd: number
}

/**
 * Quality, cost and share of the run vs always routing to the strongest target, on the same stream.
 * Costs come from `costOf` (not the trace), so a run replayed on transformed costs is still charged
 * what its calls cost in the data.
 */
export function summarizePass(
  t: ReplayTrace,
  strongest: number,
  scoreOf: (i: number, target: number) => number,
  costOf: (i: number, target: number) => number,
): PassSummary {
  const n = t.route.length
  let q = 0
  let c = 0
  let share = 0
  let sq = 0
  let sc = 0
  for (let i = 0; i < n; i++) {
    q += t.score[i]!
    if (!t.error[i]) c += costOf(i, t.chosen[i]!)
    if (t.chosen[i] === strongest) share += 1
    sq += scoreOf(i, strongest)
    sc += costOf(i, strongest)
  }
  return {
    quality: q / n,
    costUsd: c / n,
    strongestShare: share / n,
    strongestQuality: sq / n,
    strongestCostUsd: sc / n,
  }
}

export interface Regret {
  perRequest: number
  firstHalf: number
  secondHalf: number
}

/**
 * Regret per request against the best fixed per-route mix in hindsight. Utility is linear in the
 * mix, so the best mix is the route's best single target over the stream.
 */
export function hindsightRegret(t: ReplayTrace): Regret {
  const n = t.route.length
  const k = t.targets.length
  const sums = new Float64Array(t.routes.length * k)
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) sums[t.route[i]! * k + j]! += t.utilities[i * k + j]!
  const best = t.routes.map((_, r) => {
    let b = 0
    for (let j = 1; j < k; j++) if (sums[r * k + j]! > sums[r * k + b]!) b = j
    return b
  })
  const half = Math.floor(n / 2)
  let first = 0
  let second = 0
  for (let i = 0; i < n; i++) {
    const r = t.route[i]!
    const d = t.utilities[i * k + best[r]!]! - t.utilities[i * k + t.chosen[i]!]!
    if (i < half) first += d
    else second += d
  }
  return { perRequest: (first + second) / n, firstHalf: first / half, secondHalf: second / (n - half) }
}

/** Expected share of `target` over the next requests: route weights weighted by route traffic. */
export function trafficShare(t: ReplayTrace, cycleIndex: number, target: number, routeFreq: readonly number[]): number {
  const k = t.targets.length
  const w = t.cycles[cycleIndex]!.weights
  let s = 0
  routeFreq.forEach((f, r) => (s += f * w[r * k + target]!))
  return s
}

export function routeFrequencies(t: ReplayTrace): number[] {
  const f = new Array<number>(t.routes.length).fill(0)
  for (let i = 0; i < t.route.length; i++) f[t.route[i]!]! += 1
  return f.map((x) => x / t.route.length)
}

/** First cycle at or after request `from` where `test(cycle)` holds, as requests and cycles after `from`. */
export function firstCycleAfter(
  t: ReplayTrace,
  from: number,
  test: (cycleIndex: number) => boolean,
): { requests: number; cycles: number } | null {
  let cycles = 0
  for (let c = 0; c < t.cycles.length; c++) {
    if (t.cycles[c]!.at <= from) continue
    cycles += 1
    if (test(c)) return { requests: t.cycles[c]!.at - from, cycles }
  }
  return null
}

/** Requests on route `r` in [from, to). */
export function routeRequests(t: ReplayTrace, r: number, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to && i < t.route.length; i++) if (t.route[i] === r) n += 1
  return n
}

export function quantileOf(values: number[], q: number): number {
  if (!values.length) return NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}
