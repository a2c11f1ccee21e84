import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ScoreInput, Span, Trace } from '../../collector/client.ts'
import type { StoredSpanSummary } from '../../evaluator/jobs.ts'
import { apiSpan, traceOf } from './span-fixture.ts'

/**
 * A stand-in for the collector's query API (GET /api/traces/:id, POST /api/scores), for tests
 * that kill processes and restart Redis: scores are kept by score_id (the API's idempotency key),
 * and every POST is counted so duplicates are visible. The end-to-end test uses the real collector.
 */
export interface FakeCollector {
  url: string
  token: string
  traces: Map<string, Trace>
  /** Newest per score_id, as the real API reads them. */
  scores: Map<string, ScoreInput>
  /** Scores received, duplicates included. */
  received: number
  /** While set, GET /api/traces requests are held open (a job stuck mid-way); `release()` answers them. */
  holdTraces: boolean
  held: number
  release(): void
  addSpan(overrides?: Partial<Span>): { span: Span; row: StoredSpanSummary }
  close(): Promise<void>
}

const read = async (req: IncomingMessage) => {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startFakeCollector(token = 'fake-collector-token-0001'): Promise<FakeCollector> {
  const waiting: (() => void)[] = []
  const fake: FakeCollector = {
    url: '',
    token,
    traces: new Map(),
    scores: new Map(),
    received: 0,
    holdTraces: false,
    held: 0,
    release() {
      fake.holdTraces = false
      for (const w of waiting.splice(0)) w()
    },
    addSpan(overrides = {}) {
      const span = apiSpan(overrides)
      fake.traces.set(span.trace_id, traceOf(span))
      const row: StoredSpanSummary = {
        tenant_id: span.tenant_id,
        TraceId: span.trace_id,
        SpanId: span.span_id,
        session_id: span.session_id,
        route: span.route,
        target: span.target,
        span_type: span.span_type,
        billable: 1,
        Timestamp: span.start_ns,
      }
      return { span, row }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: { message: 'bad token' } })
    const url = new URL(req.url ?? '/', 'http://x')
    const traceMatch = /^\/api\/traces\/([0-9a-f]+)$/.exec(url.pathname)
    if (req.method === 'GET' && traceMatch) {
      if (fake.holdTraces) {
        fake.held++
        await new Promise<void>((r) => waiting.push(r))
      }
      const trace = fake.traces.get(traceMatch[1]!)
      return trace ? send(200, trace) : send(404, { error: { message: 'trace not found' } })
    }
    if (req.method === 'POST' && url.pathname === '/api/scores') {
      const body = JSON.parse(await read(req)) as { scores?: ScoreInput[] } | ScoreInput
      const list = 'scores' in body && body.scores ? body.scores : [body as ScoreInput]
      for (const s of list) {
        fake.received++
        fake.scores.set(s.score_id!, s)
      }
      return send(201, { accepted: list.length, scores: [] })
    }
    send(404, { error: { message: 'no route' } })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}
