/**
 * Query benchmark: N spans (default 10M, 200 tenants, 30 days) and one evaluator score per trace
 * generated in-engine, then chargeback, trace-by-id, session list and score list timed through the API and as
 * raw SQL giving the same answer, interleaved.
 *   node bin/run-ts.mjs bench/query.ts [--spans 10000000] [--rounds 7] [--dir DIR]
 * With --dir, the data is generated there once and reused by later runs.
 */
import { openQueryBench } from './query-setup.ts'

const { rounds, store, api, raw, count, close } = await openQueryBench('query', 7)
const countSpans = () => count('spans')
const picked = (await raw(
  `SELECT TraceId FROM ${store.table('spans')} WHERE tenant_id = 'tenant-7' LIMIT 1 OFFSET 100`,
)) as { TraceId: string }[]
const traceId = picked[0]!.TraceId
const nowIso = new Date().toISOString()
const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString()

const cases: { name: string; api: () => Promise<unknown>; sql: () => Promise<unknown> }[] = [
  {
    name: 'chargeback (all tenants, 30 days, by day × model)',
    api: () => api.chargeback({ from: monthAgo, to: nowIso, period: 'day', group: 'model' }),
    // Rows, each tenant's total and the grand total.
    sql: () =>
      raw(`SELECT tenant_id, day AS p, model AS k, sum(requests), sum(errors), sum(input_tokens), sum(output_tokens),
        sum(cache_read_tokens), sum(cache_write_tokens), toString(sum(cost_usd))
      FROM ${store.table('usage_daily')} WHERE day >= today() - 30 GROUP BY GROUPING SETS ((tenant_id, p, k), (tenant_id), ()) ORDER BY tenant_id, p, k`),
  },
  {
    name: 'trace by id (span tree)',
    api: () => api.getTrace(traceId),
    sql: () =>
      raw(`SELECT * FROM ${store.table('spans')} WHERE TraceId = {id:String} ORDER BY Timestamp`, { id: traceId }),
  },
  {
    // The same answer as the API: the newest 50 sessions in the range with every total, then the
    // newest version of each of their scores.
    name: 'session list (one tenant, newest 50, with scores)',
    api: () => api.listSessions({ tenant: 'tenant-7', from: monthAgo, to: nowIso, limit: 50 }),
    sql: async () => {
      const sessions = (await raw(
        `SELECT session_id, max(user_id), min(start) AS s, max(\`end\`) AS e, uniqMerge(traces), sum(spans), sum(llm_calls), sum(errors),
            sum(input_tokens), sum(output_tokens), toString(sum(cost_usd))
         FROM ${store.table('sessions')} WHERE tenant_id = 'tenant-7' GROUP BY session_id
         HAVING e >= parseDateTime64BestEffort({from:String}, 9) AND s <= parseDateTime64BestEffort({to:String}, 9) ORDER BY s DESC LIMIT 50`,
        { from: monthAgo, to: nowIso },
      )) as { session_id: string }[]
      return raw(
        `SELECT session_id, name, value, status FROM ${store.table('scores')} WHERE tenant_id = 'tenant-7' AND session_id IN {ids:Array(String)}
         ORDER BY created_at DESC LIMIT 1 BY score_id`,
        { ids: sessions.map((r) => r.session_id) },
      )
    },
  },
  {
    // The Evaluations page's read. Raw SQL here is the one-pass form (every score's newest version,
    // then the newest 10,000); the API finds the newest ids on the key columns first.
    name: 'score list (all tenants, newest 10,000)',
    api: () => api.listScores({ limit: 10_000 }),
    sql: () =>
      raw(`SELECT tenant_id, score_id, max(created_at) AS created,
          argMax(tuple(trace_id, span_id, session_id, route, target, name, version, source, data_type, value, label, reason, status, posted_by, comment, author, author_name), created_at) AS latest
        FROM ${store.table('scores')} GROUP BY tenant_id, score_id ORDER BY created DESC, score_id LIMIT 10000`),
  },
]

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const timed = async (f: () => Promise<unknown>) => {
  const s = performance.now()
  await f()
  return performance.now() - s
}
console.log(
  `\nquery benchmark over ${(await countSpans()).toLocaleString()} spans (median of ${rounds}, API and raw SQL interleaved)`,
)
for (const c of cases) {
  await c.api() // warm
  await c.sql()
  const apiMs: number[] = []
  const sqlMs: number[] = []
  for (let i = 0; i < rounds; i++) {
    apiMs.push(await timed(c.api))
    sqlMs.push(await timed(c.sql))
  }
  const a = median(apiMs)
  const s = median(sqlMs)
  console.log(
    `  ${c.name.padEnd(52)} API ${a.toFixed(1).padStart(7)} ms   raw SQL ${s.toFixed(1).padStart(7)} ms   ratio ${(a / s).toFixed(2)}`,
  )
}
await close()
