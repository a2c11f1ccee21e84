import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { TenantScope } from './caller.ts'
import { chargebackCsv } from './chargeback-csv.ts'
import { ApiError } from './errors.ts'
import { USD_SCALE, formatScaled, usdUnits } from '../decimal.ts'
import { num, select } from './sql.ts'
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

/** Period start as unix seconds, in UTC whatever the server's time zone. Constant SQL chosen from a closed set. */
const PERIOD_SQL = {
  hour: `toUnixTimestamp(hour)`,
  day: `toUnixTimestamp(toStartOfDay(toTimeZone(hour, 'UTC')))`,
  month: `toUnixTimestamp(toDateTime(toStartOfMonth(toTimeZone(hour, 'UTC')), 'UTC'))`,
} as const

const GROUP_SQL = { route: 'route', model: 'model', provider: 'provider', target: 'target' } as const

const MAX_ROWS = 500_000

interface RowOut {
  tenant_id: string
  p: number | string
  k: string
  n_requests: number | string
  n_errors: number | string
  n_input: number | string
  n_output: number | string
  n_cache_read: number | string
  n_cache_write: number | string
  cost: string
}

/** Running sum of usage rows; cost as scaled integers, so totals always equal the sum of the rows. */
class UsageSum {
  readonly usage: ChargebackUsage = { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: '0' }
  private cost = 0n

  add(r: ChargebackUsage): void {
    const u = this.usage
    u.requests += r.requests
    u.errors += r.errors
    u.input_tokens += r.input_tokens
    u.output_tokens += r.output_tokens
    u.cache_read_tokens += r.cache_read_tokens
    u.cache_write_tokens += r.cache_write_tokens
    this.cost += usdUnits(r.cost_usd)
  }

  result(): ChargebackUsage {
    return { ...this.usage, cost_usd: formatScaled(this.cost, USD_SCALE) }
  }
}

export async function chargeback(deps: CollectorDeps, scope: TenantScope, q: z.output<typeof query>): Promise<Chargeback> {
  const { store } = deps
  const range = timeRange(q, 30n * DAY_NS)
  // Reads the hourly rollup: sums of its SimpleAggregateFunction columns over possibly unmerged rows.
  const rows = await select<RowOut>(
    store,
    `SELECT tenant_id, ${PERIOD_SQL[q.period]} AS p, ${GROUP_SQL[q.group]} AS k,
        sum(requests) AS n_requests, sum(errors) AS n_errors, sum(input_tokens) AS n_input, sum(output_tokens) AS n_output,
        sum(cache_read_tokens) AS n_cache_read, sum(cache_write_tokens) AS n_cache_write, toString(sum(cost_usd)) AS cost
     FROM ${store.table('usage_hourly')}
     WHERE ${scope.where()}
       AND hour >= toStartOfHour(fromUnixTimestamp64Nano({from:Int64}, 'UTC'))
       AND hour < fromUnixTimestamp64Nano({to:Int64}, 'UTC')
     GROUP BY tenant_id, p, k
     ORDER BY tenant_id, p, k
     LIMIT {max:UInt32}`,
    { ...scope.params(), from: range.fromNs.toString(), to: range.toNs.toString(), max: MAX_ROWS + 1 },
  )
  if (rows.length > MAX_ROWS) throw new ApiError(400, `more than ${MAX_ROWS} rows: narrow the time range or use a coarser period`, 'from')
  const out: ChargebackRow[] = rows.map((r) => ({
    tenant_id: r.tenant_id,
    period_start: new Date(num(r.p) * 1000).toISOString().replace('.000Z', 'Z'),
    key: r.k,
    requests: num(r.n_requests),
    errors: num(r.n_errors),
    input_tokens: num(r.n_input),
    output_tokens: num(r.n_output),
    cache_read_tokens: num(r.n_cache_read),
    cache_write_tokens: num(r.n_cache_write),
    cost_usd: r.cost,
  }))
  // One pass: the grand total and each tenant's total.
  const total = new UsageSum()
  const byTenant = new Map<string, UsageSum>()
  for (const r of out) {
    total.add(r)
    let sum = byTenant.get(r.tenant_id)
    if (!sum) byTenant.set(r.tenant_id, (sum = new UsageSum()))
    sum.add(r)
  }
  return {
    from: nsToIso(range.fromNs),
    to: nsToIso(range.toNs),
    period: q.period,
    group: q.group,
    rows: out,
    totals: total.result(),
    tenant_totals: Object.fromEntries([...byTenant].map(([t, sum]) => [t, sum.result()])),
  }
}

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
