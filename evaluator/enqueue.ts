import { createHash } from 'node:crypto'
import { routeEvaluation, type EvaluatorSettings, type ScorerName } from './config.ts'
import { jobIdOf, type EvaluationJob, type ScorerRef, type StoredSpanSummary } from './jobs.ts'
import type { JobQueue, NewJob } from './queue/types.ts'

export type EvaluationEnqueuer = (rows: readonly StoredSpanSummary[]) => Promise<void>

/** Scorer name → current version (the judge's is its rubric version). */
export function scorerVersions(settings: Pick<EvaluatorSettings, 'judge'>): Record<ScorerName, string> {
  return { cost: '1', heuristics: '1', reference: '1', judge: settings.judge.rubric.version }
}

/** A span's place in [0, 1) from a hash of its id: the same span always gets the same sampling decision. */
export function samplePoint(spanId: string): number {
  return createHash('sha256').update(spanId).digest().readUInt32BE(0) / 2 ** 32
}

/**
 * The collector's hook after spans are stored: one job per LLM span that its route's
 * evaluation selects (scorers, sampling rate, delay). Spans of the system tenant (the judge's
 * own calls) are skipped. Resolves once the jobs are queued; a failure rejects (the collector logs it).
 */
export function createEvaluationEnqueuer(
  settings: Pick<EvaluatorSettings, 'defaults' | 'routes' | 'judge' | 'systemTenant'>,
  queue: Pick<JobQueue<EvaluationJob>, 'add'>,
  now: () => number = Date.now,
): EvaluationEnqueuer {
  const versions = scorerVersions(settings)
  return async (rows) => {
    const jobs: NewJob<EvaluationJob>[] = []
    const at = now()
    for (const row of rows) {
      if (row.span_type !== 'llm' || row.billable !== 1 || row.tenant_id === settings.systemTenant) continue
      if (row.is_error === 1 && row.output_tokens === 0) continue
      const evaluation = routeEvaluation(settings, row.route)
      if (evaluation.scorers.length === 0 || samplePoint(row.SpanId) >= evaluation.sampleRate) continue
      const scorers: ScorerRef[] = evaluation.scorers.map((name) => ({ name, version: versions[name] }))
      jobs.push({
        id: jobIdOf(row.SpanId, scorers),
        delayMs: evaluation.delayMs,
        data: {
          tenant_id: row.tenant_id,
          trace_id: row.TraceId,
          span_id: row.SpanId,
          session_id: row.session_id,
          route: row.route,
          target: row.target,
          scorers,
          enqueued_at_ms: at,
          due_at_ms: at + evaluation.delayMs,
        },
      })
    }
    await queue.add(jobs)
  }
}
