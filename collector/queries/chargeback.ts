// The chargeback report, read from the hourly or daily usage rollup (one row per billable span,
// so `requests` counts every LLM call once; docs/normalization.md).
import type { Store } from '../storage/store.ts'
import { runRaw, type TenantFilter } from './run.ts'

export type ChargebackPeriod = 'hour' | 'day' | 'month'
export type ChargebackGroup = 'route' | 'model' | 'provider' | 'target'

/** Period start of `t` (a UTC DateTime). Constant SQL chosen from a closed set. */
const PERIOD_SQL = {
  hour: `t`,
  day: `t`,
  month: `toDateTime(toStartOfMonth(t), 'UTC')`,
} as const

const GROUP_SQL = { route: 'route', model: 'model', provider: 'provider', target: 'target' } as const

const HOUR_NS = 3_600_000_000_000n
const DAY_NS = 24n * HOUR_NS
const floorTo = (ns: bigint, unit: bigint) => (ns / unit) * unit
const ceilTo = (ns: bigint, unit: bigint) => ((ns + unit - 1n) / unit) * unit

const FROM_SQL = `fromUnixTimestamp64Nano({from:Int64}, 'UTC')`
const TO_SQL = `fromUnixTimestamp64Nano({to:Int64}, 'UTC')`

/**
 * Hour periods read the hourly rollup from `from` rounded down to the hour. Day and month periods
 * count whole UTC days (`from` rounded down, `to` up), so they read the daily rollup: ~24× fewer rows.
 */
export function chargebackRollup(period: ChargebackPeriod, range: { fromNs: bigint; toNs: bigint }) {
  if (period === 'hour') {
    return {
      table: 'usage_hourly',
      t: `toTimeZone(hour, 'UTC')`,
      where: `hour >= ${FROM_SQL} AND hour < ${TO_SQL}`,
      fromNs: floorTo(range.fromNs, HOUR_NS),
      toNs: range.toNs,
    }
  }
  return {
    table: 'usage_daily',
    t: `toDateTime(day, 'UTC')`,
    where: `day >= toDate(${FROM_SQL}) AND day < toDate(${TO_SQL})`,
    fromNs: floorTo(range.fromNs, DAY_NS),
    toNs: ceilTo(range.toNs, DAY_NS),
  }
}

/** Rows, tenant totals and the grand total together. */
export const MAX_CHARGEBACK_ROWS = 500_000
/** A usage object's JSON fields, spelled out: several times faster than formatRowNoNewline. */
const USAGE_FIELDS = `'"requests":', toString(requests), ',"errors":', toString(errors), ',"input_tokens":', toString(input_tokens),
  ',"output_tokens":', toString(output_tokens), ',"cache_read_tokens":', toString(cache_read_tokens),
  ',"cache_write_tokens":', toString(cache_write_tokens), ',"cost_usd":"', cost_usd,
  '","cache_hits":', toString(cache_hits), ',"saved_usd":"', saved_usd, '"}'`
const USAGE_JSON = `concat('{', ${USAGE_FIELDS})`
const ROW_JSON = `concat('{"tenant_id":', toJSONString(tenant_id), ',"period_start":"', period_start, '","key":', toJSONString(key), ',', ${USAGE_FIELDS})`
const NO_USAGE =
  '{"requests":0,"errors":0,"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"cost_usd":"0","cache_hits":0,"saved_usd":"0"}'

export interface ChargebackQuery {
  period: ChargebackPeriod
  group: ChargebackGroup
  /** The JSON object's leading fields, already encoded (`{"from":…,"group":"route"` without the closing brace). */
  head: string
}

/**
 * The chargeback as its JSON response body, built by ClickHouse and passed on as bytes: for a
 * month by day × model (12k rows, 2.7 MB) decoding, re-assembling and encoding it in JS cost more
 * than the query. One pass over the rollup (sums of its SimpleAggregateFunction columns over
 * possibly unmerged rows) gives the rows (GROUPING level 0), each tenant's total (3) and the grand
 * total (7), all as exact decimals. Undefined when the answer has more than MAX_CHARGEBACK_ROWS rows.
 */
export async function chargebackJson(
  store: Store,
  scope: TenantFilter,
  q: ChargebackQuery,
  source: ReturnType<typeof chargebackRollup>,
): Promise<Buffer | undefined> {
  const body = await runRaw(
    store,
    'chargeback.report',
    `SELECT if(count() > {max:UInt32}, '', concat(
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
    {
      ...scope.params(),
      from: source.fromNs.toString(),
      to: source.toNs.toString(),
      max: MAX_CHARGEBACK_ROWS,
      cap: MAX_CHARGEBACK_ROWS + 1,
      head: q.head,
      no_usage: NO_USAGE,
    },
  )
  return body.length === 0 ? undefined : body
}
