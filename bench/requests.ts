/**
 * Request log benchmark: N spans (default 10M, 200 tenants, 30 days; one LLM call in 5 spans
 * is billable) and one evaluator score per trace generated in-engine, then the request log's
 * first page and each filter timed through the API (admin, all tenants, last 7 days, 100 rows)
 * and as the plain SQL for the same rows (one newest-first query over the whole range), interleaved.
 *   node bin/run-ts.mjs bench/requests.ts [--spans 10000000] [--rounds 5] [--dir DIR]
 * With --dir, the data is generated there once and reused by later runs.
 */
import type { ListRequestsQuery } from '../collector/client.ts'
import { openQueryBench } from './query-setup.ts'

const { rounds, store, api, raw, count, close } = await openQueryBench('requests', 5)
const LIMIT = 100
const to = new Date()
const from = new Date(to.getTime() - 7 * 86_400_000)
const range = { from: from.toISOString(), to: to.toISOString() }

// Each filter as API parameters and as the WHERE condition the raw SQL adds (the same rows).
const MODEL = "if(response_model != '', response_model, request_model)"
const TAGS = "JSONExtract(SpanAttributes['tag.tags'], 'Array(String)')"
/** Text search as the API does it: either column, case-insensitive. */
const text = (q: string) =>
  `(positionCaseInsensitiveUTF8(input_text, '${q}') > 0 OR positionCaseInsensitiveUTF8(output_text, '${q}') > 0)`
const cases: { name: string; query: ListRequestsQuery; where: string }[] = [
  { name: 'first page (no filter)', query: {}, where: '1 = 1' },
  { name: 'tenant', query: { tenant: 'tenant-7' }, where: "tenant_id = 'tenant-7'" },
  { name: 'route', query: { route: 'search' }, where: "route = 'search'" },
  { name: 'model', query: { model: 'claude-3-5-haiku' }, where: `${MODEL} = 'claude-3-5-haiku'` },
  { name: 'provider', query: { provider: ['anthropic'] }, where: "provider = 'anthropic'" },
  { name: 'status = error', query: { status: 'error' }, where: 'is_error = 1' },
  { name: 'user', query: { user: 'user-42' }, where: "user_id = 'user-42'" },
  { name: 'session (rare)', query: { session: 'session-4242' }, where: "session_id = 'session-4242'" },
  { name: 'tag', query: { tag: 'vip' }, where: `has(${TAGS}, 'vip')` },
  {
    name: 'latency 1000–1010 ms',
    query: { latency_min: 1000, latency_max: 1010 },
    where: 'Duration BETWEEN 1000000000 AND 1010000000',
  },
  { name: 'ttft ≥ 500 ms', query: { ttft_min: 500 }, where: 'ttft_ns >= 500000000' },
  { name: 'cost ≥ $0.0005', query: { cost_min: '0.0005' }, where: "cost_usd >= toDecimal64('0.0005', 12)" },
  { name: 'tokens ≥ 1900', query: { tokens_min: 1900 }, where: 'input_tokens + output_tokens >= 1900' },
  {
    name: 'score correctness ≤ 0.5',
    query: { score: 'correctness', score_max: 0.5 },
    where: `(tenant_id, TraceId, SpanId) IN (SELECT tenant_id, trace_id, span_id FROM ${store.table('scores')} WHERE name = 'correctness' AND value <= 0.5)`,
  },
  {
    name: 'text search (common)',
    query: { q: 'NEXT WEEK' },
    where: text('NEXT WEEK'),
  },
  {
    name: 'text search (rare)',
    query: { q: 'order #4242?' },
    where: text('order #4242?'),
  },
  {
    name: 'nothing matches (whole range)',
    query: { q: 'no such text anywhere' },
    where: text('no such text anywhere'),
  },
]

const sqlFor = (where: string) => () =>
  raw(
    `SELECT tenant_id, TraceId, SpanId, Timestamp, Duration, route, provider, ${MODEL}, input_tokens, output_tokens, toString(cost_usd), user_id, session_id, ${TAGS}
     FROM ${store.table('spans')} WHERE billable = 1 AND Timestamp >= parseDateTime64BestEffort({from:String}, 9)
       AND Timestamp <= parseDateTime64BestEffort({to:String}, 9) AND ${where}
     ORDER BY Timestamp DESC LIMIT ${LIMIT}`,
    range,
  )

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const timed = async (f: () => Promise<unknown>) => {
  const s = performance.now()
  await f()
  return performance.now() - s
}
console.log(
  `\nrequest log over ${(await count('spans')).toLocaleString()} spans, last 7 days, ${LIMIT} rows (median of ${rounds}, API and raw SQL interleaved)`,
)
for (const c of cases) {
  const call = () => api.listRequests({ ...range, ...c.query, limit: LIMIT })
  const sql = sqlFor(c.where)
  const rows = (await call()).requests.length // warm
  await sql()
  const apiMs: number[] = []
  const sqlMs: number[] = []
  for (let i = 0; i < rounds; i++) {
    apiMs.push(await timed(call))
    sqlMs.push(await timed(sql))
  }
  const a = median(apiMs)
  const s = median(sqlMs)
  console.log(
    `  ${c.name.padEnd(32)} ${String(rows).padStart(4)} rows   API ${a.toFixed(0).padStart(6)} ms   raw SQL ${s.toFixed(0).padStart(6)} ms   ratio ${(a / s).toFixed(2)}`,
  )
}
// The next page after the first: the cursor's keyset, as the UI's infinite scroll asks for it.
const first = await api.listRequests({ ...range, limit: LIMIT })
const nextMs: number[] = []
for (let i = 0; i < rounds; i++)
  nextMs.push(await timed(() => api.listRequests({ ...range, limit: LIMIT, cursor: first.next_cursor! })))
console.log(`  ${'next page (cursor)'.padEnd(32)}              API ${median(nextMs).toFixed(0).padStart(6)} ms`)
await close()
