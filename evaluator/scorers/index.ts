import type { EvaluatorSettings, ScorerName } from '../config.ts'
import { createCostScorer } from './cost.ts'
import { createHeuristicsScorer } from './heuristics.ts'
import { createJudgeScorer } from './judge.ts'
import { createReferenceScorer } from './reference.ts'
import type { Scorer } from './types.ts'

export type { Scorer, ScoreDraft, ScorerContext } from './types.ts'
export { RetryableError } from './types.ts'

export type ScorerSet = Record<ScorerName, Scorer>

/** Every scorer, configured; the worker picks the ones a job names. */
export function createScorers(
  settings: Pick<EvaluatorSettings, 'judge'> & Partial<Pick<EvaluatorSettings, 'prices'>>,
  fetchImpl?: typeof fetch,
): ScorerSet {
  return {
    cost: createCostScorer(undefined, settings.prices),
    heuristics: createHeuristicsScorer(),
    reference: createReferenceScorer(),
    judge: createJudgeScorer(settings.judge, fetchImpl),
  }
}
