import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { TenantScope } from './caller.ts'
import { chargebackCsv } from './chargeback-csv.ts'
import { ApiError } from './errors.ts'
import { DAY_NS, nsToIso, timeRange, type TimeRange } from './time.ts'
import type { Chargeback } from './types.ts'
import { jsonSchema, name, parse, time } from './validate.ts'

const query = z.object({
  from: time.optional().describe('inclusive, rounded down to the hour (to the UTC day for day and month periods); default: 30 days before `to`'),
  to: time.optional().describe('exclusive (rounded up to the UTC day for day and month periods); default: now'),
  period: z.enum(['hour', 'day', 'month']).default('day'),
  group: z.enum(['route', 'model', 'provider', 'target']).default('route'),
  tenant: name().optional(),
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
/** A usage object's JSON fields, spelled out: several times faster than formatRowNoNewline. */
const USAGE_FIELDS = `'"requests":', toString(requests), ',"errors":', toString(errors), ',"input_tokens":', toString(input_tokens),
  ',"output_tokens":', toString(output_tokens), ',"cache_read_tokens":', toString(cache_read_tokens),
  ',"cache_write_tokens":', toString(cache_write_tokens), ',"cost_usd":"', cost_usd,
  '","cache_hits":', toString(cache_hits), ',"saved_usd":"', saved_usd, '"}'`
const USAGE_JSON = `concat('{', ${USAGE_FIELDS})`
const ROW_JSON = `concat('{"tenant_id":', toJSONString(tenant_id), ',"period_start":"', period_start, '","key":', toJSONString(key), ',', ${USAGE_FIELDS})`
const NO_USAGE = '{"requests":0,"errors":0,"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"cost_usd":"0","cache_hits":0,"saved_usd":"0"}'

/**
 * The chargeback as its JSON response body, built by ClickHouse and passed on as bytes: for a
 * month by day × model (12k rows, 2.7 MB) decoding, re-assembling and encoding it in JS cost more
 * than the query. One pass over the rollup (sums of its SimpleAggregateFunction columns over
 * possibly unmerged rows) gives the rows (GROUPING level 0), each tenant's total (3) and the grand
 * total (7), all as exact decimals.
 */
export async function chargebackJson(deps: CollectorDeps, scope: TenantScope, q: z.output<typeof query>): Promise<Buffer> {
  const { store } = deps
  const source = rollup(q.period, timeRange(q, 30n * DAY_NS))
  const head: Omit<Chargeback, 'rows' | 'totals' | 'tenant_totals'> = { from: nsToIso(source.fromNs), to: nsToIso(source.toNs), period: q.period, group: q.group }
  const result = await store.client.exec({
    query: `SELECT if(count() > {max:UInt32}, '', concat(
        {head:String},
        ',"rows":[', arrayStringConcat(arrayMap(r -> r.2, arraySort(r -> r.1, groupArrayIf(
          ((tenant_id, period_start, key), ${ROW_JSON}),
          level = 0))), ','),
        '],"totals":', if(countIf(level = 7) = 0, {no_usage:String}, anyIf(${USAGE_JSON}, level = 7)),
        ',"tenant_totals":{', arrayStringConcat(arrayMap(r -> r.2, arraySort(r -> r.1, groupArrayIf((tenant_id, concat(toJSONString(tenant_id), ':', ${USAGE_JSON})), level = 3))), ','),
        '}}'))
     FROM (
       SELECT GROUPING(tenant_id, p, k) AS level, tenant_id, formatDateTime(p, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS period_start, k AS key,
           sum(requests) AS requests, sum(errors) AS errors, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_tokens) AS cache_write_tokens, toString(sum(cost_usd)) AS cost_usd,
           sum(cache_hits) AS cache_hits, toString(sum(saved_usd)) AS saved_usd
       FROM (SELECT *, ${source.t} AS t FROM ${store.table(source.table)} WHERE ${scope.where()} AND ${source.where})
       GROUP BY GROUPING SETS ((tenant_id, ${PERIOD_SQL[q.period]} AS p, ${GROUP_SQL[q.group]} AS k), (tenant_id), ())
       LIMIT {cap:UInt32}) -- bounds the memory of a too-large answer; count() > max reports it
     SETTINGS output_format_json_validate_utf8 = 1
     FORMAT RawBLOB`,
    query_params: { ...scope.params(), from: source.fromNs.toString(), to: source.toNs.toString(), max: MAX_ROWS, cap: MAX_ROWS + 1, head: JSON.stringify(head).slice(0, -1), no_usage: NO_USAGE },
  })
  const chunks: Buffer[] = []
  for await (const chunk of result.stream) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  if (body.length === 0) throw new ApiError(400, `more than ${MAX_ROWS} rows: narrow the time range or use a coarser period`, 'from')
  return body
}

export function registerChargeback(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/chargeback',
    {
      schema: {
        summary: 'Requests, tokens, exact cost, and response-cache hits with the cost they saved, per tenant × period × route/model/provider/target (JSON or CSV)',
        tags: ['chargeback'],
        querystring: jsonSchema(query),
      },
    },
    async (req, reply) => {
      const q = parse(query, req.query, 'query')
      const body = await chargebackJson(deps, TenantScope.of(req, q.tenant), q)
      if (q.format === 'json') return reply.type('application/json; charset=utf-8').send(body)
      const result = JSON.parse(body.toString('utf8')) as Chargeback
      const fileName = `chargeback-${result.period}-${result.group}-${result.from.slice(0, 10)}-${result.to.slice(0, 10)}.csv`
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .send(chargebackCsv(result))
    },
  )
}
