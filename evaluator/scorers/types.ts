import type { ScoreDataType, ScoreStatus, Span, Trace } from '../../collector/client.ts'
import type { RouteEvaluation, ScorerName } from '../config.ts'

/** One score a scorer produced; the worker adds identity (tenant, trace, span, route…) and the id. */
export interface ScoreDraft {
  /** The score's name (e.g. `heuristics.refusal`); its id is span id + name + scorer version. */
  name: string
  data_type: ScoreDataType
  value?: number | boolean
  label?: string
  reason: string
  /** 'failed': the evaluation itself could not be done (the reason says why); never counted as quality. */
  status: ScoreStatus
}

export interface ScorerContext {
  trace: Trace
  evaluation: RouteEvaluation
  signal: AbortSignal
  /** The job will not be retried after this attempt: turn transient trouble into a failed score. */
  lastAttempt: boolean
}

export interface Scorer {
  name: ScorerName
  version: string
  /** Throwing asks for a retry (transient trouble); a deterministic problem is a `failed` draft instead. */
  score(span: Span, ctx: ScorerContext): Promise<ScoreDraft[]>
}

/** A thrown error the worker must retry rather than record (e.g. the judge's gateway answered 503). */
export class RetryableError extends Error {
  override name = 'RetryableError'
}
