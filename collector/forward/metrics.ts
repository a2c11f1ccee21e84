import { Counter, Gauge, type Registry } from 'prom-client'

/** Forwarding counters, registered in the collector's registry (labels: destination = host + path of its URL). */
export function createForwardMetrics(registry: Registry) {
  return {
    sent: new Counter({
      name: 'loopgate_collector_forward_sent_total',
      help: 'OTLP requests a forwarding destination accepted (2xx)',
      labelNames: ['destination'],
      registers: [registry],
    }),
    retried: new Counter({
      name: 'loopgate_collector_forward_retried_total',
      help: 'Forwarding attempts that will be retried (429/502/503/504, network error, timeout)',
      labelNames: ['destination'],
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'loopgate_collector_forward_dropped_total',
      help: 'Stored OTLP requests not forwarded, by reason: queue_full, refused, retries_exhausted, shutdown, partially_rejected, mixed_tenants, conversion_failed',
      labelNames: ['destination', 'reason'],
      registers: [registry],
    }),
    queueBytes: new Gauge({
      name: 'loopgate_collector_forward_queue_bytes',
      help: 'Request bytes waiting for a forwarding destination',
      labelNames: ['destination'],
      registers: [registry],
    }),
  }
}

export type ForwardMetrics = ReturnType<typeof createForwardMetrics>
