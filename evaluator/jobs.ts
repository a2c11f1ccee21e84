import type { ScorerName } from './config.ts'

/**
 * What the collector hands the enqueuer for each stored span: a structural subset of its
 * `spans` row, so the collector's rows can be passed as they are.
 */
export interface StoredSpanSummary {
  tenant_id: string
  TraceId: string
  SpanId: string
  session_id: string
  route: string
  target: string
  /** Only 'llm' spans are evaluated… */
  span_type: string
  /** …that are billable: a gateway request is judged once, on its request span, not again on each attempt. */
  billable: number
  /** …and answered: a failed request without output (every target failed) has nothing to judge. */
  is_error?: number
  output_tokens?: number
  /** Start, UTC nanoseconds as a decimal string. */
  Timestamp: string
}

export interface ScorerRef {
  name: ScorerName
  version: string
}

/** One job per selected LLM span, carrying every scorer its route asks for. */
export interface EvaluationJob {
  tenant_id: string
  trace_id: string
  span_id: string
  session_id: string
  route: string
  target: string
  scorers: ScorerRef[]
  /** When the job was enqueued (ms since the epoch), for queue-lag measurement. */
  enqueued_at_ms: number
  /** When the job may run at the earliest (enqueued + route delay). */
  due_at_ms: number
}

/** Job key: span id + each scorer's name and version. Dots, not colons (BullMQ refuses ':' in ids). */
export const jobIdOf = (spanId: string, scorers: ScorerRef[]): string =>
  `${spanId}.${scorers.map((s) => `${s.name}-${s.version}`).join('.')}`

/** The score's idempotency key sent to the collector: span id + score name + scorer version. */
export const scoreIdOf = (spanId: string, scoreName: string, version: string): string =>
  `${spanId}.${scoreName}.${version}`
