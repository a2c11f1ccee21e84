import type { Dataset } from './dataset.ts'

/**
 * The dataset with every row's cost for a target replaced by that target's mean cost over the
 * dataset, so every call of a target costs the same. A λ sweep on it trades quality for *calls*
 * (RouteLLM's cost measure: the share of calls to the strong model) instead of dollars.
 */
export function flattenCosts(data: Dataset): Dataset {
  const mean = meanCosts(data)
  return {
    ...data,
    requests: data.requests.map((r) => ({
      route: r.route,
      outcomes: r.outcomes.map((o, i) => ({ ...o, costUsd: mean[i]! })),
    })),
  }
}

/** Each target's mean cost per request over the dataset (the flat cost of `flattenCosts`). */
export function meanCosts(data: Dataset): number[] {
  const mean = new Array<number>(data.targets.length).fill(0)
  for (const r of data.requests) r.outcomes.forEach((o, i) => (mean[i]! += o.costUsd))
  return mean.map((m) => m / (data.requests.length || 1))
}
