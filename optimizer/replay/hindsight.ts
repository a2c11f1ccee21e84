import { routeTotals, type Dataset } from './dataset.ts'
import type { SweepPoint } from './experiments.ts'
import { meanCosts } from './flat-costs.ts'

/**
 * The best static per-route choice in hindsight under the calls sweep's objective (λ on flat
 * per-target costs), at every λ between two where a route changes its choice: what an online pass
 * on the calls sweep is measured against. Quality and cost are measured on the data as it is;
 * `atQuality` between two points is the mix on the route that switches.
 */
export function hindsightCallsCurve(data: Dataset, strongest: number): SweepPoint[] {
  const k = data.targets.length
  const flatCost = meanCosts(data)
  const { requests: n, score: q, cost: c } = routeTotals(data)
  const lambdas = new Set<number>()
  data.routes.forEach((_, r) => {
    for (let j = 0; j < k; j++)
      for (let l = 0; l < k; l++) {
        const dc = n[r]! * (flatCost[j]! - flatCost[l]!)
        const dq = q[r * k + j]! - q[r * k + l]!
        if (dc > 0 && dq > 0) lambdas.add(dq / dc)
      }
  })
  const breaks = [...lambdas].sort((a, b) => a - b)
  const probes = [0, ...breaks.slice(1).map((b, i) => (breaks[i]! + b) / 2), (breaks.at(-1) ?? 0) * 2 + 1]
  const total = data.requests.length
  let strongestQ = 0
  let strongestC = 0
  data.routes.forEach((_, r) => ((strongestQ += q[r * k + strongest]!), (strongestC += c[r * k + strongest]!)))
  return probes.map((lambda) => {
    let quality = 0
    let cost = 0
    let share = 0
    data.routes.forEach((_, r) => {
      let best = 0
      const u = (j: number) => q[r * k + j]! - lambda * n[r]! * flatCost[j]!
      for (let j = 1; j < k; j++) if (u(j) > u(best) || (u(j) === u(best) && flatCost[j]! < flatCost[best]!)) best = j
      quality += q[r * k + best]!
      cost += c[r * k + best]!
      if (best === strongest) share += n[r]!
    })
    return {
      param: lambda,
      quality: quality / total,
      relQuality: quality / strongestQ,
      relCost: cost / strongestC,
      strongestShare: share / total,
    }
  })
}
