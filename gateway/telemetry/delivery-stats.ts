import type { SpanSpool } from './span-spool.ts'

/**
 * Why spans never reached an endpoint:
 * - `spool_full`: it was away and the spool had no room;
 * - `not_acknowledged`: it was away and the spool is off (`spool.maxBytes: 0`);
 * - `refused`: it answered 400/413/415 to the batch (sending it again cannot succeed);
 * - `rejected`: it stored the batch but rejected these spans (OTLP partial success);
 * - `queue_full`: more spans waited in memory than `maxQueueSize`;
 * - `spool_write_failed` / `spool_unreadable`: the disk failed.
 */
export type LossReason = 'spool_full' | 'not_acknowledged' | 'refused' | 'rejected' | 'queue_full' | 'spool_write_failed' | 'spool_unreadable'

/** Delivery counters of one OTLP endpoint, for /metrics. */
export class DeliveryStats {
  readonly lost = new Map<LossReason, number>()
  spooled = 0
  replayed = 0
  spool: SpanSpool | undefined

  constructor(readonly endpoint: string) {}

  addLost(reason: LossReason, spans: number): void {
    this.lost.set(reason, (this.lost.get(reason) ?? 0) + spans)
  }
}

/** Prometheus text lines for every endpoint's counters and spool. */
export function deliveryMetricLines(all: readonly DeliveryStats[]): string[] {
  if (all.length === 0) return []
  const label = (s: DeliveryStats) => `endpoint="${s.endpoint}"`
  const lines = [
    '# HELP loopgate_gateway_spans_lost_total Spans that never reached an OTLP endpoint, by reason (see docs/gateway.md › Telemetry).',
    '# TYPE loopgate_gateway_spans_lost_total counter',
  ]
  for (const s of all) for (const [reason, n] of s.lost) lines.push(`loopgate_gateway_spans_lost_total{${label(s)},reason="${reason}"} ${n}`)
  lines.push('# HELP loopgate_gateway_spans_spooled_total Spans written to the on-disk spool because their endpoint did not acknowledge them.', '# TYPE loopgate_gateway_spans_spooled_total counter')
  for (const s of all) lines.push(`loopgate_gateway_spans_spooled_total{${label(s)}} ${s.spooled}`)
  lines.push('# HELP loopgate_gateway_spans_replayed_total Spooled spans their endpoint acknowledged later.', '# TYPE loopgate_gateway_spans_replayed_total counter')
  for (const s of all) lines.push(`loopgate_gateway_spans_replayed_total{${label(s)}} ${s.replayed}`)
  lines.push('# HELP loopgate_gateway_span_spool_bytes Bytes of span batches waiting in the spool.', '# TYPE loopgate_gateway_span_spool_bytes gauge')
  for (const s of all) lines.push(`loopgate_gateway_span_spool_bytes{${label(s)}} ${s.spool?.bytes ?? 0}`)
  lines.push('# HELP loopgate_gateway_span_spool_batches Span batches waiting in the spool.', '# TYPE loopgate_gateway_span_spool_batches gauge')
  for (const s of all) lines.push(`loopgate_gateway_span_spool_batches{${label(s)}} ${s.spool?.batches ?? 0}`)
  return lines
}
