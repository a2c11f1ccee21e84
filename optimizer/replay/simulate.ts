import { drawIndex, sampleNormal, seededRng, shuffle, type Rng } from '../random.ts'
import type { Dataset } from './dataset.ts'
import type { PolicyEvents, ReplayPolicy } from './policies.ts'
import type { Scenario } from './scenarios.ts'

export interface LatencyModel {
  /** Median latency (ms) of a lognormal. */
  medianMs: number
  /** Log-space standard deviation. */
  sigma: number
}

export const DEFAULT_LATENCY: LatencyModel = { medianMs: 1000, sigma: 0.5 }

export interface ReplayOptions {
  seed: number
  /** Simulated arrival rate; with `cycleSeconds` it sets requests per cycle. */
  requestsPerSecond: number
  cycleSeconds: number
  /** Share of requests that receive a quality score (the rest only traffic and cost). */
  scoredFraction: number
  /** Requests to stream; default one pass. Longer streams repeat the data, reshuffled each pass. */
  length?: number
  /** Per-target latency model used when the CSV has no latency column for the target. */
  latency?: Record<string, LatencyModel>
  scenario?: Scenario
  /** λ of the report's utility (quality − λ·cost) for regret accounting. */
  regretCostWeight: number
}

/** What happened, request by request and cycle by cycle. */
export interface ReplayTrace {
  targets: string[]
  routes: string[]
  /** Per request: route index, chosen target, error flag, chosen score and cost. */
  route: Int32Array
  chosen: Int32Array
  error: Uint8Array
  score: Float64Array
  cost: Float64Array
  /** Per request × target: utility (score − λ·cost) of every target on that request, for hindsight regret. */
  utilities: Float64Array
  /** After each cycle: the index of the next request and the weights per route (× target). */
  cycles: { at: number; weights: Float64Array; costEstimates: (number | null)[] }[]
  /** The policy's event counts at the end of the pass (absent for policies without guardrails). */
  events?: PolicyEvents
}

/** A stream order: one or more seeded shuffles of the rows. */
export function streamOrder(n: number, length: number, rng: Rng): number[] {
  const order: number[] = []
  while (order.length < length) order.push(...shuffle(rng, [...Array(n).keys()]))
  return order.slice(0, length)
}

/**
 * Streams the dataset through a policy with a simulated clock: requests arrive at
 * `requestsPerSecond`; every `cycleSeconds` the policy runs its cycle on what it observed; each
 * request's target is drawn from the current weights with a seeded RNG. A policy that
 * `observesAllTargets` (a reference bound) is also told every other target's outcome on the request.
 */
export async function replay(data: Dataset, policy: ReplayPolicy, options: ReplayOptions): Promise<ReplayTrace> {
  const rng = seededRng(options.seed * 7919 + 17)
  const unservedRng = seededRng(options.seed * 7919 + 29)
  const length = options.length ?? data.requests.length
  const order = streamOrder(data.requests.length, length, seededRng(options.seed))
  const k = data.targets.length
  const routeIndex = new Map(data.routes.map((r, i) => [r, i]))
  const latency = data.targets.map((t) => options.latency?.[t] ?? DEFAULT_LATENCY)
  const trace: ReplayTrace = {
    targets: data.targets,
    routes: data.routes,
    route: new Int32Array(length),
    chosen: new Int32Array(length),
    error: new Uint8Array(length),
    score: new Float64Array(length),
    cost: new Float64Array(length),
    utilities: new Float64Array(length * k),
    cycles: [],
  }
  const stepMs = 1000 / options.requestsPerSecond
  const cycleMs = options.cycleSeconds * 1000
  const startMs = Date.UTC(2025, 0, 1)
  let nextCycle = startMs + cycleMs
  const snapshot = (at: number) => {
    const weights = new Float64Array(data.routes.length * k)
    data.routes.forEach((r, ri) => {
      const w = policy.weights(r)
      let total = 0
      for (const t of data.targets) total += w[t] ?? 0
      data.targets.forEach((t, ti) => (weights[ri * k + ti] = total > 0 ? (w[t] ?? 0) / total : 1 / k))
    })
    trace.cycles.push({ at, weights, costEstimates: data.targets.map((t) => policy.costEstimate(t)) })
  }
  snapshot(0)
  for (let i = 0; i < length; i++) {
    const nowMs = startMs + i * stepMs
    while (nowMs >= nextCycle) {
      await policy.cycle(nextCycle)
      nextCycle += cycleMs
      snapshot(i)
    }
    if (i === options.scenario?.at && options.scenario.listPrice)
      policy.prices?.set(data.targets[options.scenario.listPrice.target]!, options.scenario.listPrice.factor)
    const row = data.requests[order[i]!]!
    const ri = routeIndex.get(row.route)!
    const { outcomes, errors } = options.scenario
      ? options.scenario.apply(i, row.outcomes)
      : { outcomes: row.outcomes, errors: new Array<boolean>(k).fill(false) }
    const cw = trace.cycles[trace.cycles.length - 1]!.weights
    const ti = drawIndex(rng, Array.from(cw.subarray(ri * k, ri * k + k)))
    const o = outcomes[ti]!
    const failed = errors[ti]!
    const latencyOf = (j: number, r: Rng) =>
      outcomes[j]!.latencyMs ?? latency[j]!.medianMs * Math.exp(latency[j]!.sigma * sampleNormal(r))
    const latencyMs = latencyOf(ti, rng)
    const scored = rng.next() < options.scoredFraction
    const observe = (j: number, ms: number) =>
      policy.stats.record({
        atMs: nowMs,
        route: row.route,
        target: data.targets[j]!,
        error: errors[j]!,
        latencyMs: errors[j] ? ms / 10 : ms,
        costUsd: errors[j] ? 0 : outcomes[j]!.costUsd,
        score: scored && !errors[j] ? outcomes[j]!.score : null,
      })
    observe(ti, latencyMs)
    // A bound's extra view: the same request as every other target would have served it (its own RNG, so the draws above are the same for every policy).
    if (policy.observesAllTargets) {
      for (let j = 0; j < k; j++) if (j !== ti) observe(j, latencyOf(j, unservedRng))
    }
    trace.route[i] = ri
    trace.chosen[i] = ti
    trace.error[i] = failed ? 1 : 0
    trace.score[i] = failed ? 0 : o.score
    trace.cost[i] = failed ? 0 : o.costUsd
    outcomes.forEach(
      (x, j) => (trace.utilities[i * k + j] = errors[j] ? 0 : x.score - options.regretCostWeight * x.costUsd),
    )
  }
  if (policy.events) trace.events = { ...policy.events }
  return trace
}
