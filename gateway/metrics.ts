import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { ResponseCache } from './cache/index.ts'
import type { ResponseStore } from './responses/store.ts'
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
    events: new Counter({
      name: 'loopgate_gateway_events_total',
      help: 'Refusals and failures by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
  }
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>

/** A counter read at scrape time from a running total kept elsewhere (it only ever grows). */
function totalCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => [Record<string, string>, number][],
) {
  const seen = new Map<string, number>()
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, total] of read()) {
        const key = JSON.stringify(labels)
        const delta = total - (seen.get(key) ?? 0)
        if (delta > 0) this.inc(labels, delta)
        seen.set(key, total)
      }
    },
  })
}

function gauge(registry: Registry, name: string, help: string, read: () => number) {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read())
    },
  })
}

/** Read-at-scrape metrics: the limit store's gauges, span delivery per OTLP endpoint, kept Responses answers, the response cache. */
export function observe(
  metrics: GatewayMetrics,
  parts: {
    limits: LimitStore
    delivery: readonly DeliveryStats[]
    responses: ResponseStore
    responseCache: ResponseCache
  },
): void {
  const { registry } = metrics
  const { limits, responses, responseCache } = parts
  for (const name of Object.keys(limits.gauges?.() ?? {})) {
    gauge(
      registry,
      name,
      'Budget and rate-limit store state (1: Redis unreachable, limits degraded).',
      () => limits.gauges?.()[name] ?? 0,
    )
  }
  registerDeliveryMetrics(registry, parts.delivery)
  gauge(
    registry,
    'loopgate_gateway_responses_stored',
    'Responses API answers kept for previous_response_id.',
    () => responses.size,
  )
  gauge(
    registry,
    'loopgate_gateway_responses_stored_bytes',
    'Bytes of the kept Responses API answers.',
    () => responses.usedBytes,
  )
  totalCounter(
    registry,
    'loopgate_response_cache_requests_total',
    'Requests of cache-enabled routes by outcome.',
    ['outcome'],
    () => Object.entries(responseCache.counts).map(([outcome, n]) => [{ outcome }, n]),
  )
  for (const name of Object.keys(responseCache.store.metrics())) {
    const read = () => responseCache.store.metrics()[name] ?? 0
    if (name.endsWith('_total')) totalCounter(registry, name, 'Response cache store.', [], () => [[{}, read()]])
    else gauge(registry, name, 'Response cache store.', read)
  }
}
