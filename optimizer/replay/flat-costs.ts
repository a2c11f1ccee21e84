import type { Dataset } from './dataset.ts'

/**
 * The dataset with every row's cost for a target replaced by that target's mean cost over the
 * dataset, so every call of a target costs the same. A λ sweep on it trades quality for *calls*
 * (RouteLLM's cost measure: the share of calls to the strong model) instead of dollars.
 */
export function flattenCosts(data: Dataset): Dataset {
  const k = data.targets.length
  const mean = new Array<number>(k).fill(0)
  for (const r of data.requests) r.outcomes.forEach((o, i) => (mean[i]! += o.costUsd))
  for (let i = 0; i < k; i++) mean[i]! /= data.requests.length || 1
  return { ...data, requests: data.requests.map((r) => ({ route: r.route, outcomes: r.outcomes.map((o, i) => ({ ...o, costUsd: mean[i]! })) })) }
}
