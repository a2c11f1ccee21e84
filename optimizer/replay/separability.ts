import { routeTotals, type Dataset } from './dataset.ts'

export interface Separability {
  /** Share of the stream's requests on routes whose best-quality target can be told from its runner-up in time. */
  tellableShare: number
  /** Per route: scored requests needed to tell them apart, and the route's requests in the first half. */
  routes: { route: string; needed: number; available: number }[]
}

/**
 * How much of the traffic a learner could possibly put on each route's best-quality target (λ = 0)
 * in the second half of the stream: the best and the runner-up (hindsight means over the data)
 * are told apart at one-sided confidence z only after z²·(σ_best + σ_runner-up)² / δ² scored
 * requests split between them (δ the gap of their mean scores, σ their scores' standard
 * deviations, each sampled in proportion to its σ), and a route has at most the requests of the
 * first half before the second half starts. On a route with fewer, no learner knows which of the
 * two is best, and its share of the best is luck: the steady share of "the best" is bounded by
 * the tellable share plus what a coin flip gives on the rest.
 */
export function separability(data: Dataset, z: number): Separability {
  const k = data.targets.length
  const totals = routeTotals(data)
  let tellable = 0
  const routes = data.routes.map((route, r) => {
    const n = totals.requests[r]!
    const mean = (j: number) => totals.score[r * k + j]! / n
    const sd = (j: number) => Math.sqrt(Math.max(0, totals.scoreSq[r * k + j]! / n - mean(j) ** 2))
    const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => mean(b) - mean(a))
    const [best, second] = [order[0]!, order[1]]
    const gap = second === undefined ? Infinity : mean(best) - mean(second)
    const needed = second === undefined ? 0 : gap > 0 ? (z * (sd(best) + sd(second))) ** 2 / gap ** 2 : Infinity
    const available = Math.floor(n / 2)
    if (n > 0 && available >= needed) tellable += n
    return { route, needed, available }
  })
  return { tellableShare: tellable / data.requests.length, routes }
}
