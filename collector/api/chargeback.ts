import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { TenantScope } from './caller.ts'
import { chargebackCsv } from './chargeback-csv.ts'
import { ApiError } from './errors.ts'
import { DAY_NS, nsToIso, timeRange } from './time.ts'
import type { Chargeback, ChargebackRow, ChargebackUsage } from './types.ts'
import { jsonSchema, name, parse, time } from './validate.ts'

const query = z.object({
  from: time.optional().describe('inclusive, rounded down to the hour; default: 30 days before `to`'),
  to: time.optional().describe('exclusive; default: now'),
  period: z.enum(['hour', 'day', 'month']).default('day'),
  group: z.enum(['route', 'model', 'provider', 'target']).default('route'),
  tenant: name(128).optional(),
  format: z.enum(['json', 'csv']).default('json'),
})

/** Period start in UTC whatever the server's time zone. Constant SQL chosen from a closed set. */
const PERIOD_SQL = {
  hour: `hour`,
  day: `toDateTime(toStartOfDay(toTimeZone(hour, 'UTC')), 'UTC')`,
  month: `toDateTime(toStartOfMonth(toTimeZone(hour, 'UTC')), 'UTC')`,
} as const

const GROUP_SQL = { route: 'route', model: 'model', provider: 'provider', target: 'target' } as const

/** Rows, tenant totals and the grand total together. */
const MAX_ROWS = 500_000

/** GROUPING(tenant_id, p, k) of a row: 0 for a period × key row, 3 for a tenant's total, 7 for the grand total. */
interface RowOut extends ChargebackRow {
  level: number
}
const DETAIL = 0
const GRAND_TOTAL = 7
const NO_USAGE: ChargebackUsage = { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: '0' }

export async function chargeback(deps: CollectorDeps, scope: TenantScope, q: z.output<typeof query>): Promise<Chargeback> {
  const { store } = deps
  const range = timeRange(q, 30n * DAY_NS)
  // One pass over the hourly rollup (sums of its SimpleAggregateFunction columns over possibly
  // unmerged rows) gives the rows, each tenant's total and the grand total, all as exact decimals.
  const rs = await store.client.query({
    query: `SELECT GROUPING(tenant_id, p, k) AS level, tenant_id,
        formatDateTime(p, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS period_start, k AS key,
        sum(requests) AS requests, sum(errors) AS errors, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
        sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_tokens) AS cache_write_tokens, toString(sum(cost_usd)) AS cost_usd
     FROM ${store.table('usage_hourly')}
     WHERE ${scope.where()}
       AND hour >= toStartOfHour(fromUnixTimestamp64Nano({from:Int64}, 'UTC'))
       AND hour < fromUnixTimestamp64Nano({to:Int64}, 'UTC')
     GROUP BY GROUPING SETS ((tenant_id, ${PERIOD_SQL[q.period]} AS p, ${GROUP_SQL[q.group]} AS k), (tenant_id), ())
     ORDER BY level, tenant_id, p, k
     LIMIT {max:UInt32}`,
    query_params: { ...scope.params(), from: range.fromNs.toString(), to: range.toNs.toString(), max: MAX_ROWS },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  const all = await rs.json<RowOut>()
  // The grand total sorts last, so the LIMIT cuts it off first when there are too many rows.
  const grand = all.pop()
  if (grand && grand.level !== GRAND_TOTAL) throw new ApiError(400, `more than ${MAX_ROWS} rows: narrow the time range or use a coarser period`, 'from')
  const firstTotal = all.findIndex((r) => r.level !== DETAIL)
  const detail = firstTotal === -1 ? all : all.slice(0, firstTotal)
  const tenantTotals = firstTotal === -1 ? [] : all.slice(firstTotal)
  return {
    from: nsToIso(range.fromNs),
    to: nsToIso(range.toNs),
    period: q.period,
    group: q.group,
    rows: detail.map(({ level: _, ...row }) => row),
    totals: grand ? usage(grand) : NO_USAGE,
    tenant_totals: Object.fromEntries(tenantTotals.map((t) => [t.tenant_id, usage(t)])),
  }
}

const usage = (r: RowOut): ChargebackUsage => ({
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
      const result = await chargeback(deps, TenantScope.of(req, q.tenant), q)
      if (q.format === 'json') return result
      const fileName = `chargeback-${result.period}-${result.group}-${result.from.slice(0, 10)}-${result.to.slice(0, 10)}.csv`
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .send(chargebackCsv(result))
    },
  )
}
