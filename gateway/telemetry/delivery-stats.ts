import { Counter, Gauge, type Registry } from 'prom-client'
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
export type LossReason =
  'spool_full' | 'not_acknowledged' | 'refused' | 'rejected' | 'queue_full' | 'spool_write_failed' | 'spool_unreadable'

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

/** Span delivery counters and spool gauges per endpoint, read from the stats at each scrape. */
export function registerDeliveryMetrics(registry: Registry, all: readonly DeliveryStats[]): void {
  if (all.length === 0) return
  const registers = [registry]
  new Counter({
    name: 'loopgate_gateway_spans_lost_total',
    help: 'Spans that never reached an OTLP endpoint, by reason (see docs/gateway.md › Telemetry).',
    labelNames: ['endpoint', 'reason'],
    registers,
    collect() {
      this.reset()
      for (const s of all) for (const [reason, n] of s.lost) this.inc({ endpoint: s.endpoint, reason }, n)
    },
  })
  new Counter({
    name: 'loopgate_gateway_spans_spooled_total',
    help: 'Spans written to the on-disk spool because their endpoint did not acknowledge them.',
    labelNames: ['endpoint'],
    registers,
    collect() {
      this.reset()
      for (const s of all) this.inc({ endpoint: s.endpoint }, s.spooled)
    },
  })
  new Counter({
    name: 'loopgate_gateway_spans_replayed_total',
    help: 'Spooled spans their endpoint acknowledged later.',
    labelNames: ['endpoint'],
    registers,
    collect() {
      this.reset()
      for (const s of all) this.inc({ endpoint: s.endpoint }, s.replayed)
    },
  })
  new Gauge({
    name: 'loopgate_gateway_span_spool_bytes',
    help: 'Bytes of span batches waiting in the spool.',
    labelNames: ['endpoint'],
    registers,
    collect() {
      for (const s of all) this.set({ endpoint: s.endpoint }, s.spool?.bytes ?? 0)
    },
  })
  new Gauge({
    name: 'loopgate_gateway_span_spool_batches',
    help: 'Span batches waiting in the spool.',
    labelNames: ['endpoint'],
    registers,
    collect() {
      for (const s of all) this.set({ endpoint: s.endpoint }, s.spool?.batches ?? 0)
    },
  })
}
