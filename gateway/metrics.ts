import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { LimitStore } from './tenancy/limits.ts'
import { registerDeliveryMetrics, type DeliveryStats } from './telemetry/delivery-stats.ts'

/**
 * The gateway's Prometheus metrics (prom-client, as the collector's), one registry per running
 * gateway. Names are unchanged from the hand-written text this replaces; the process_* and nodejs_*
 * defaults are new.
 */
export function createGatewayMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
    registry,
    events: new Counter({ name: 'loopgate_gateway_events_total', help: 'Refusals and failures by reason.', labelNames: ['reason'], registers: [registry] }),
  }
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>

/** Read-at-scrape metrics: the limit store's gauges and span delivery per OTLP endpoint. */
export function observe(metrics: GatewayMetrics, limits: LimitStore, delivery: readonly DeliveryStats[]): void {
  for (const name of Object.keys(limits.gauges?.() ?? {})) {
    new Gauge({
      name,
      help: 'Budget and rate-limit store state (1: Redis unreachable, limits degraded).',
      registers: [metrics.registry],
      collect() {
        this.set(limits.gauges?.()[name] ?? 0)
      },
    })
  }
  registerDeliveryMetrics(metrics.registry, delivery)
}
