import type { CollectorClient, ScoreInput, Span, Trace } from '../collector/client.ts'
import { CollectorApiError } from '../collector/client.ts'
import { routeEvaluation, type EvaluatorSettings } from './config.ts'
import { scoreIdOf, type EvaluationJob } from './jobs.ts'
import type { JobHandler, QueueJob } from './queue/types.ts'
import type { ScoreDraft, ScorerSet } from './scorers/index.ts'
import { RetryableError } from './scorers/index.ts'
import { clip } from './scorers/text.ts'

export interface HandlerDeps {
  client: Pick<CollectorClient, 'getTrace' | 'postScores'>
  scorers: ScorerSet
  settings: Pick<EvaluatorSettings, 'defaults' | 'routes'>
  /** Told about each finished job (metrics, benchmarks). */
  onScored?: (job: QueueJob<EvaluationJob>, scores: number) => void
}

/**
 * Handles one evaluation job: reads the span's trace through the collector API, runs the job's
 * scorers and writes their scores in one POST. Score ids are span + score name + scorer version,
 * so a redelivered job overwrites rather than adds. Throws (→ retry with backoff) when the span
 * has not arrived yet, the collector is unreachable or a scorer asks for a retry.
 */
export function createEvaluationHandler(deps: HandlerDeps): JobHandler<EvaluationJob> {
  return async (job) => {
    const data = job.data
    const trace = await fetchTrace(deps.client, data)
    const span = findSpan(trace.roots, data.span_id)
    if (!span) throw new Error(`span ${data.span_id} is not in trace ${data.trace_id} yet`)
    const evaluation = routeEvaluation(deps.settings, data.route)
    const ctx = { trace, evaluation, signal: job.signal, lastAttempt: job.lastAttempt }
    const inputs: ScoreInput[] = []
    for (const ref of data.scorers) {
      const scorer = deps.scorers[ref.name]
      // A job queued under an older scorer version is scored (and keyed) with the current one.
      if (!scorer) continue
      let drafts: ScoreDraft[]
      try {
        drafts = await scorer.score(span, ctx)
      } catch (err) {
        if (err instanceof RetryableError || job.signal.aborted) throw err
        drafts = [
          {
            name: scorer.name,
            data_type: 'numeric',
            value: 0,
            reason: `the ${scorer.name} scorer crashed: ${(err as Error).message}`,
            status: 'failed',
          },
        ]
      }
      for (const d of drafts) inputs.push(toInput(data, span, d, scorer.version))
    }
    if (inputs.length > 0) await deps.client.postScores(inputs)
    deps.onScored?.(job, inputs.length)
  }
}

async function fetchTrace(client: HandlerDeps['client'], data: EvaluationJob): Promise<Trace> {
  try {
    return await client.getTrace(data.trace_id, { tenant: data.tenant_id })
  } catch (err) {
    if (err instanceof CollectorApiError && err.status === 404)
      throw new Error(`trace ${data.trace_id} is not stored yet`, { cause: err })
    throw err
  }
}

export function findSpan(spans: Span[], spanId: string): Span | undefined {
  const stack = [...spans]
  while (stack.length) {
    const s = stack.pop()!
    if (s.span_id === spanId) return s
    stack.push(...s.children)
  }
  return undefined
}

function toInput(job: EvaluationJob, span: Span, d: ScoreDraft, version: string): ScoreInput {
  return {
    score_id: scoreIdOf(job.span_id, d.name, version),
    tenant_id: job.tenant_id,
    trace_id: job.trace_id,
    span_id: job.span_id,
    session_id: span.session_id || job.session_id || undefined,
    route: span.route || job.route,
    target: span.target || job.target,
    name: d.name,
    version,
    source: 'evaluator',
    data_type: d.data_type,
    ...(d.value !== undefined ? { value: d.value } : {}),
    ...(d.label !== undefined ? { label: clip(d.label, 1000) } : {}),
    reason: clip(d.reason, 8000),
    status: d.status,
  }
}
