import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The collector's Prometheus metrics, one registry per running collector. */
export function createCollectorMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
    registry,
    spansAccepted: new Counter({
      name: 'loopgate_collector_spans_accepted_total',
      help: 'Spans stored and acknowledged',
      labelNames: ['tenant'],
      registers: [registry],
    }),
    spansRefused: new Counter({
      name: 'loopgate_collector_spans_refused_total',
      help: 'Spans refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    spansDuplicate: new Counter({
      name: 'loopgate_collector_spans_duplicate_total',
      help: 'Re-sent spans acknowledged without being stored again',
      registers: [registry],
    }),
    requestsRefused: new Counter({
      name: 'loopgate_collector_requests_refused_total',
      help: 'OTLP requests refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    apiErrors: new Counter({
      name: 'loopgate_collector_api_errors_total',
      help: 'Query API requests refused or failed, by code (collector/api/errors.ts)',
      labelNames: ['code'],
      registers: [registry],
    }),
    unauthorized: new Counter({
      name: 'loopgate_collector_unauthorized_total',
      help: 'Requests refused for missing or wrong credentials (401), by endpoint',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    inFlightBytes: new Gauge({
      name: 'loopgate_collector_ingest_inflight_bytes',
      help: 'OTLP request bytes admitted and not yet answered',
      registers: [registry],
    }),
    dedupIds: new Gauge({
      name: 'loopgate_collector_dedup_ids',
      help: 'Stored span ids remembered for deduplication',
      registers: [registry],
    }),
    bufferDepth: new Gauge({
      name: 'loopgate_collector_buffer_rows',
      help: 'Rows waiting for an INSERT',
      registers: [registry],
    }),
    insertSeconds: new Histogram({
      name: 'loopgate_collector_insert_seconds',
      help: 'INSERT latency',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    querySeconds: new Histogram({
      name: 'loopgate_collector_query_seconds',
      help: 'Query latency, by query tag (the ClickHouse log_comment)',
      labelNames: ['query'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    insertRows: new Histogram({
      name: 'loopgate_collector_insert_rows',
      help: 'Rows per INSERT',
      buckets: [1, 10, 100, 1000, 5000, 20000, 50000, 100000],
      registers: [registry],
    }),
  }
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>
