import type { Dataset, Outcome } from './dataset.ts'

/** A change injected mid-stream: it may rewrite what a target returns on request `index`. */
export interface Scenario {
  name: string
  /** The request index at which the change starts. */
  at: number
  apply(index: number, outcomes: readonly Outcome[]): { outcomes: Outcome[]; errors: boolean[] }
  /** A list price change: from `at` the gateway lists `target` at `factor` × its price. */
  listPrice?: { target: number; factor: number }
}

export interface TargetRanking {
  /** Highest mean score over the dataset. */
  strongest: number
  /** Lowest mean score. */
  weakest: number
  meanScore: number[]
  meanCost: number[]
}

export function rankTargets(data: Dataset): TargetRanking {
  const k = data.targets.length
  const score = new Array<number>(k).fill(0)
  const cost = new Array<number>(k).fill(0)
  for (const r of data.requests) r.outcomes.forEach((o, i) => ((score[i]! += o.score), (cost[i]! += o.costUsd)))
  const n = data.requests.length
  const meanScore = score.map((s) => s / n)
  const meanCost = cost.map((c) => c / n)
  const order = meanScore.map((_, i) => i).sort((a, b) => meanScore[b]! - meanScore[a]! || meanCost[a]! - meanCost[b]!)
  return { strongest: order[0]!, weakest: order[order.length - 1]!, meanScore, meanCost }
}

const noErrors = (k: number) => new Array<boolean>(k).fill(false)

/** `target` answers errors for `length` requests from `at`, then recovers. */
export function outage(target: number, at: number, length: number): Scenario {
  return {
    name: 'outage',
    at,
    apply(index, outcomes) {
      const errors = noErrors(outcomes.length)
      if (index >= at && index < at + length) errors[target] = true
      return { outcomes: [...outcomes], errors }
    },
  }
}

/** From `at`, `target` silently scores what `like` scores on the same request (same cost as before). */
export function qualityDrift(target: number, like: number, at: number): Scenario {
  return {
    name: 'quality drift',
    at,
    apply(index, outcomes) {
      const out = [...outcomes]
      if (index >= at) out[target] = { ...out[target]!, score: out[like]!.score }
      return { outcomes: out, errors: noErrors(outcomes.length) }
    },
  }
}

/** From `at`, `target` costs `factor` × its price, and the gateway lists it so. */
export function priceChange(target: number, factor: number, at: number): Scenario {
  return {
    name: 'price change',
    at,
    listPrice: { target, factor },
    apply(index, outcomes) {
      const out = [...outcomes]
      if (index >= at) out[target] = { ...out[target]!, costUsd: out[target]!.costUsd * factor }
      return { outcomes: out, errors: noErrors(outcomes.length) }
    },
  }
}
