import { routeTotals, type Dataset } from './dataset.ts'

/**
 * An instance-local lower bound on regret per request (utility = quality − λ·cost against each
 * route's best target), for any policy that sees only the served target's score, a fraction
 * `scoredFraction` of the time. For each route r and target i that is not its best (gap Δ), the
 * alternative instance raises i's quality on r by 2Δ, making it best by Δ; nothing else changes, so
 * only i's scores on r tell the two apart. Bretagnolle–Huber: R + R' ≥ (Δ·T_r / 4)·exp(−f·n_i·kl),
 * so a policy whose regret is at most B on the instance and on every such alternative serves i at
 * least ln(Δ·T_r / 8B) / (f·kl) times, and B ≥ Σ Δ·that. The smallest B meeting its own bound is
 * returned (per request). It is loose — each alternative moves one cell — and says how far from a
 * proof of "out of reach" a goal is, not how close a learner can get.
 */
export function localRegretBound(data: Dataset, costWeight: number, scoredFraction: number): number {
  const k = data.targets.length
  const t = routeTotals(data)
  const cells: { gap: number; requests: number; kl: number }[] = []
  data.routes.forEach((_, r) => {
    const n = t.requests[r]!
    if (n === 0) return
    const u = (j: number) => (t.score[r * k + j]! - costWeight * t.cost[r * k + j]!) / n
    let best = 0
    for (let j = 1; j < k; j++) if (u(j) > u(best)) best = j
    for (let j = 0; j < k; j++) {
      const gap = u(best) - u(j)
      if (j === best || !(gap > 0)) continue
      const q = clamp(t.score[r * k + j]! / n)
      const variance = t.scoreSq[r * k + j]! / n - q * q
      const boolean = Math.abs(variance - q * (1 - q)) < 1e-9
      if (boolean && q + 2 * gap >= 1) continue // no Bernoulli alternative raises it that far
      const kl = boolean ? bernoulliKl(q, q + 2 * gap) : (2 * gap) ** 2 / (2 * Math.max(variance, 1e-6))
      cells.push({ gap, requests: n, kl })
    }
  })
  const total = data.requests.length
  const needed = (b: number) =>
    cells.reduce(
      (s, c) => s + (c.gap * Math.max(0, Math.log((c.gap * c.requests) / (8 * b)))) / (scoredFraction * c.kl),
      0,
    )
  // needed() falls as B grows: bisect (in log space) for the B where B = needed(B).
  let lo = 1e-12
  let hi = total
  if (needed(lo) === 0) return 0
  for (let it = 0; it < 200; it++) {
    const mid = Math.sqrt(lo * hi)
    if (mid >= needed(mid)) hi = mid
    else lo = mid
  }
  return hi / total
}

const clamp = (p: number) => Math.min(Math.max(p, 1e-9), 1 - 1e-9)

function bernoulliKl(p: number, q: number): number {
  return p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q))
}
