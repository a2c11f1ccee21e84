// The query layer (collector/queries/): every query is tagged (ClickHouse log_comment) and timed
// in /metrics; and the read-time session/user of spans stored before their trace's session.
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SpanKind, context, trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { runQuery } from '../../collector/queries/run.ts'
import { openStore } from '../../collector/storage/store.ts'
import { CollectorClient, type Span } from '../../collector/client.ts'
import { ADMIN_TOKEN, startTestCollector } from '../helpers/collector.ts'

const tenants = [{ id: 'acme', ingestKeys: ['acme-ingest'], readKeys: ['acme-read'] }]
const collector = await startTestCollector({ tenants })
afterAll(() => collector.close())

const api = (path: string) => fetch(`${collector.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
const acme = new CollectorClient({ baseUrl: collector.url, token: 'acme-read' })

describe('tagged queries', () => {
  it('runs each statement with its tag as log_comment and reports its latency under the tag (chDB)', async () => {
    const seen: [string, number][] = []
    // The collector's own chDB directory: one engine per process, shared by both clients.
    const store = await openStore(storageConfigSchema.parse({ path: collector.dataDir }), {
      observeQuery: (tag, s) => seen.push([tag, s]),
    })
    try {
      const [row] = await runQuery<{ c: string }>(store, 'test.tagged', `SELECT getSetting('log_comment') AS c`)
      expect(row!.c).toBe('test.tagged')
      expect(seen.map(([tag]) => tag)).toEqual(['test.tagged'])
      expect(seen[0]![1]).toBeGreaterThan(0)
    } finally {
      await store.close()
    }
  })

  it('sends the tag as the log_comment setting to a ClickHouse server (system.query_log records it)', async () => {
    const urls: URL[] = []
    const server = createServer(async (req: IncomingMessage, res) => {
      for await (const chunk of req) void chunk
      urls.push(new URL(req.url!, 'http://x'))
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-clickhouse-summary': '{}' })
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const store = await openStore(
        storageConfigSchema.parse({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
      )
      urls.length = 0
      await runQuery(store, 'sessions.list', 'SELECT 1 AS x')
      expect(urls).toHaveLength(1)
      expect(urls[0]!.searchParams.get('log_comment')).toBe('sessions.list')
      await store.close()
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

/** An agent turn whose children end (and are exported) before the root that names the session and user. */
async function lateSessionTurn(sessionId: string): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent' }),
    spanProcessors: [
      new SimpleSpanProcessor(
        new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, headers: { Authorization: 'Bearer acme-ingest' } }),
      ),
    ],
  })
  const tracer = provider.getTracer('agent')
  const root = tracer.startSpan('agent.turn')
  const ctx = trace.setSpan(context.active(), root)
  const llm = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 5,
      },
    },
    ctx,
  )
  llm.end()
  tracer.startSpan('execute_tool lookup', { attributes: { 'gen_ai.operation.name': 'execute_tool' } }, ctx).end()
  root.setAttributes({ 'session.id': sessionId, 'user.id': 'user-late' })
  root.end()
  await provider.shutdown()
  return root.spanContext().traceId
}

describe('session and user on every span of a session', () => {
  it('shows the session and user on spans stored before the span that names them', async () => {
    const traceId = await lateSessionTurn('sess-late')
    const session = await acme.getSession('sess-late')
    const spans = session.traces.flatMap((t) => t.spans)
    expect(spans.map((s) => s.name).sort()).toEqual(['agent.turn', 'chat gpt-4o-mini', 'execute_tool lookup'])
    expect(spans.map((s) => [s.session_id, s.user_id])).toEqual(spans.map(() => ['sess-late', 'user-late']))
    expect(session.totals.llm_calls).toBe(1)

    const t = await acme.getTrace(traceId)
    const all: Span[] = []
    const walk = (list: Span[]) => list.forEach((s) => (all.push(s), walk(s.children)))
    walk(t.roots)
    expect(all).toHaveLength(3)
    expect(all.map((s) => [s.session_id, s.user_id])).toEqual(all.map(() => ['sess-late', 'user-late']))
  })

  it('reports each API query under its tag in /metrics', async () => {
    for (const path of [
      '/api/sessions',
      '/api/sessions/none',
      `/api/traces/${'ab'.repeat(16)}`,
      '/api/scores',
      '/api/chargeback',
      '/api/route-stats',
      '/api/tenants',
    ]) {
      expect((await api(path)).status).toBeLessThan(500)
    }
    const text = await (await api('/metrics')).text()
    const tags = [
      'sessions.list_newest',
      'sessions.bounds',
      'traces.windows',
      'scores.find',
      'chargeback.report',
      'route_stats.traffic',
      'route_stats.quality',
      'tenants.list',
    ]
    for (const tag of tags)
      expect(text).toMatch(
        new RegExp(`loopgate_collector_query_seconds_count\\{query="${tag.replace('.', '\\.')}"\\} [1-9]`),
      )
  })
})
