import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { TenantScope } from './caller.ts'
import { chargebackCsv } from './chargeback-csv.ts'
import { ApiError } from './errors.ts'
import { DAY_NS, nsToIso, timeRange, type TimeRange } from './time.ts'
import type { Chargeback, ChargebackUsage } from './types.ts'
import { jsonSchema, name, parse, time } from './validate.ts'

const query = z.object({
  from: time.optional().describe('inclusive, rounded down to the hour (to the UTC day for day and month periods); default: 30 days before `to`'),
  to: time.optional().describe('exclusive (rounded up to the UTC day for day and month periods); default: now'),
  period: z.enum(['hour', 'day', 'month']).default('day'),
  group: z.enum(['route', 'model', 'provider', 'target']).default('route'),
  tenant: name(128).optional(),
  format: z.enum(['json', 'csv']).default('json'),
})

/** Period start of `t` (a UTC DateTime). Constant SQL chosen from a closed set. */
const PERIOD_SQL = {
  hour: `t`,
  day: `t`,
  month: `toDateTime(toStartOfMonth(t), 'UTC')`,
} as const

const HOUR_NS = 3_600_000_000_000n
const floorTo = (ns: bigint, unit: bigint) => (ns / unit) * unit
const ceilTo = (ns: bigint, unit: bigint) => ((ns + unit - 1n) / unit) * unit

const FROM_SQL = `fromUnixTimestamp64Nano({from:Int64}, 'UTC')`
const TO_SQL = `fromUnixTimestamp64Nano({to:Int64}, 'UTC')`

/**
 * Hour periods read the hourly rollup from `from` rounded down to the hour. Day and month periods
 * count whole UTC days (`from` rounded down, `to` up), so they read the daily rollup: ~24× fewer rows.
 */
function rollup(period: keyof typeof PERIOD_SQL, range: TimeRange) {
  if (period === 'hour') {
    return { table: 'usage_hourly', t: `toTimeZone(hour, 'UTC')`, where: `hour >= ${FROM_SQL} AND hour < ${TO_SQL}`, fromNs: floorTo(range.fromNs, HOUR_NS), toNs: range.toNs }
  }
  return { table: 'usage_daily', t: `toDateTime(day, 'UTC')`, where: `day >= toDate(${FROM_SQL}) AND day < toDate(${TO_SQL})`, fromNs: floorTo(range.fromNs, DAY_NS), toNs: ceilTo(range.toNs, DAY_NS) }
}

const GROUP_SQL = { route: 'route', model: 'model', provider: 'provider', target: 'target' } as const

/** Rows, tenant totals and the grand total together. */
const MAX_ROWS = 500_000

/** A tenant's total (GROUPING(tenant_id, p, k) = 3) or the grand total (7); period rows are 0. */
interface TotalRow extends ChargebackUsage {
  level: number
  tenant_id: string
}
const GRAND_TOTAL = 7
const NO_USAGE: ChargebackUsage = { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: '0' }
/** How ClickHouse starts a period row's JSON line: what follows is the row as the API returns it. */
const PERIOD_ROW_PREFIX = '{"level":0,'

/**
 * The chargeback as its JSON response body. Period rows pass from ClickHouse's output into the
 * body without being parsed and re-serialized: for a month by day × model that is most of the time.
 */
export async function chargebackJson(deps: CollectorDeps, scope: TenantScope, q: z.output<typeof query>): Promise<string> {
  const { store } = deps
  const source = rollup(q.period, timeRange(q, 30n * DAY_NS))
  // One pass (sums of the rollup's SimpleAggregateFunction columns over possibly unmerged rows)
  // gives the rows, each tenant's total and the grand total, all as exact decimals.
  const rs = await store.client.query({
    query: `SELECT GROUPING(tenant_id, p, k) AS level, tenant_id,
        formatDateTime(p, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS period_start, k AS key,
        sum(requests) AS requests, sum(errors) AS errors, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
        sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_tokens) AS cache_write_tokens, toString(sum(cost_usd)) AS cost_usd
     FROM (SELECT *, ${source.t} AS t FROM ${store.table(source.table)} WHERE ${scope.where()} AND ${source.where})
     GROUP BY GROUPING SETS ((tenant_id, ${PERIOD_SQL[q.period]} AS p, ${GROUP_SQL[q.group]} AS k), (tenant_id), ())
     ORDER BY level, tenant_id, p, k
     LIMIT {max:UInt32}`,
    query_params: { ...scope.params(), from: source.fromNs.toString(), to: source.toNs.toString(), max: MAX_ROWS },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  const lines = (await rs.text()).split('\n')
  if (lines.at(-1) === '') lines.pop()
  let totalsAt = lines.length
  while (totalsAt > 0 && !lines[totalsAt - 1]!.startsWith(PERIOD_ROW_PREFIX)) totalsAt--
  const totals = lines.slice(totalsAt).map((line) => JSON.parse(line) as TotalRow)
  // The grand total sorts last, so the LIMIT cuts it off first when there are too many rows.
  const grand = totals.pop()
  if (lines.length > 0 && grand?.level !== GRAND_TOTAL) throw new ApiError(400, `more than ${MAX_ROWS} rows: narrow the time range or use a coarser period`, 'from')
  const rows = lines.slice(0, totalsAt).map((line) => `{${line.slice(PERIOD_ROW_PREFIX.length)}`)
  const head: Omit<Chargeback, 'rows' | 'totals' | 'tenant_totals'> = { from: nsToIso(source.fromNs), to: nsToIso(source.toNs), period: q.period, group: q.group }
  const tenantTotals = Object.fromEntries(totals.map((t) => [t.tenant_id, usage(t)]))
  return `${JSON.stringify(head).slice(0, -1)},"rows":[${rows.join(',')}],"totals":${JSON.stringify(grand ? usage(grand) : NO_USAGE)},"tenant_totals":${JSON.stringify(tenantTotals)}}`
}

const usage = (r: TotalRow): ChargebackUsage => ({
  requests: r.requests,
  errors: r.errors,
  input_tokens: r.input_tokens,
  output_tokens: r.output_tokens,
  cache_read_tokens: r.cache_read_tokens,
  cache_write_tokens: r.cache_write_tokens,
  cost_usd: r.cost_usd,
})

export function registerChargeback(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/chargeback',
    {
      schema: {
        summary: 'Requests, tokens and exact cost per tenant × period × route/model/provider/target (JSON or CSV)',
        tags: ['chargeback'],
        querystring: jsonSchema(query),
      },
    },
    async (req, reply) => {
      const q = parse(query, req.query, 'query')
      const body = await chargebackJson(deps, TenantScope.of(req, q.tenant), q)
      if (q.format === 'json') return reply.type('application/json; charset=utf-8').send(body)
      const result = JSON.parse(body) as Chargeback
      const fileName = `chargeback-${result.period}-${result.group}-${result.from.slice(0, 10)}-${result.to.slice(0, 10)}.csv`
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .send(chargebackCsv(result))
    },
  )
}
