import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { storageConfigSchema } from '../../collector/config.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { startSimulator } from '../../gateway/simulator/index.ts'
import { startTestCollector } from './collector.ts'

export const SIM_KEY = 'sk-sim'

type Row = Record<string, string | number>
/** The rows the collector bills: one per LLM call, whatever wraps it. */
export const billed = (rows: Row[]) => rows.filter((r) => Number(r.billable) === 1)

/**
 * What a real trace producer's test needs: a collector (tenant `acme`), the model simulator the
 * producer's LLM calls go to, an OpenTelemetry SDK provider exporting protobuf to the collector with
 * acme's ingest key — registered as a Node app's would be, so its async context carries parents —
 * and the stored rows of a session.
 */
export async function startProducerHarness(serviceName: string) {
  const collector = await startTestCollector({
    tenants: [{ id: 'acme', ingestKeys: ['acme-ingest-key-1'], readKeys: [] }],
  })
  const reader = await createStorageClient(storageConfigSchema.parse({ path: collector.dataDir }))
  const sim = await startSimulator({ apiKeys: [SIM_KEY] })
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [
      new SimpleSpanProcessor(
        new OTLPTraceExporter({
          url: `${collector.url}/v1/traces`,
          headers: { Authorization: 'Bearer acme-ingest-key-1' },
        }),
      ),
    ],
  })
  provider.register()
  return {
    sim,
    provider,
    /** The stored rows of a session, once every ended span has been exported. */
    async spansOf(session: string) {
      await provider.forceFlush()
      const rs = await reader.query({
        query: `SELECT TraceId, SpanName, ParentSpanId, tenant_id, session_id, user_id, span_type, convention, provider,
                  request_model, input_tokens, output_tokens, toString(cost_usd) AS cost, cost_source, billable,
                  input_text, output_text, ServiceName
                FROM loopgate.spans WHERE session_id = {s:String} ORDER BY Timestamp`,
        query_params: { s: session },
        format: 'JSONEachRow',
      })
      return rs.json<Row>()
    },
    async close() {
      await provider.shutdown()
      await collector.close()
      await reader.close()
      await sim.close()
    },
  }
}
