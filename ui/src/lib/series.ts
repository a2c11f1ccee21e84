import type { ChargebackPeriod, ChargebackRow } from '../api/client.ts'
import { sumDecimals } from '../../../lib/money.ts'

export interface Series {
  /** Unix seconds, ascending. */
  x: number[]
  series: { label: string; values: (number | null)[] }[]
}

const PERIOD_S = { hour: 3600, day: 86_400 } as const

/** The rollup period for a range: hours up to two days (24 points for a day), days up to 90 days, months beyond. */
export function periodFor(rangeMs: number): ChargebackPeriod {
  return rangeMs <= 2 * 86_400_000 ? 'hour' : rangeMs <= 90 * 86_400_000 ? 'day' : 'month'
}

/**
 * Every hour or day of the range gets a point (`empty` where the data has none), so a burst in one
 * period is a bar among zeros rather than a lone dot with nothing to compare it to. Months stay as they are.
 */
export function fillPeriods(
  s: Series,
  period: ChargebackPeriod,
  fromMs: number,
  toMs: number,
  empty: number | null = 0,
): Series {
  if (period === 'month') return s
  const step = PERIOD_S[period]
  const first = Math.floor(fromMs / 1000 / step) * step
  const x: number[] = []
  for (let t = first; t < toMs / 1000; t += step) x.push(t)
  for (const t of s.x) if (!x.includes(t)) x.push(t)
  x.sort((a, b) => a - b)
  const at = new Map(s.x.map((t, i) => [t, i]))
  return {
    x,
    series: s.series.map((line) => ({
      label: line.label,
      values: x.map((t) => (at.has(t) ? line.values[at.get(t)!]! : empty)),
    })),
  }
}

/** Unix ms of the earliest period with data, or null. */
export const firstPeriodMs = (rows: ChargebackRow[]): number | null =>
  rows.length ? Math.min(...rows.map((r) => Date.parse(r.period_start))) : null

/** Per period × key, one numeric value (cost summed exactly first, then converted only for plotting). */
export function seriesByKey(
  rows: ChargebackRow[],
  value: (rows: ChargebackRow[]) => number,
  maxKeys = 6,
  keyOf = (r: ChargebackRow) => r.key || '(none)',
): Series {
  const periods = [...new Set(rows.map((r) => r.period_start))].sort()
  const totals = new Map<string, number>()
  for (const r of rows) totals.set(keyOf(r), (totals.get(keyOf(r)) ?? 0) + value([r]))
  const keys = [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, maxKeys)
    .map(([k]) => k)
  const cell = new Map<string, ChargebackRow[]>()
  for (const r of rows) {
    const id = `${r.period_start}\u0000${keyOf(r)}`
    cell.set(id, [...(cell.get(id) ?? []), r])
  }
  return {
    x: periods.map((p) => Date.parse(p) / 1000),
    series: keys.map((k) => ({ label: k, values: periods.map((p) => value(cell.get(`${p}\u0000${k}`) ?? [])) })),
  }
}

/** One series: the whole of each period. */
export function seriesTotal(
  rows: ChargebackRow[],
  label: string,
  value: (rows: ChargebackRow[]) => number | null,
): Series {
  const periods = [...new Set(rows.map((r) => r.period_start))].sort()
  const byPeriod = new Map<string, ChargebackRow[]>()
  for (const r of rows) byPeriod.set(r.period_start, [...(byPeriod.get(r.period_start) ?? []), r])
  return {
    x: periods.map((p) => Date.parse(p) / 1000),
    series: [{ label, values: periods.map((p) => value(byPeriod.get(p) ?? [])) }],
  }
}

export const costOf = (rows: ChargebackRow[]): number => Number(sumDecimals(rows.map((r) => r.cost_usd)))
export const requestsOf = (rows: ChargebackRow[]): number => rows.reduce((n, r) => n + r.requests, 0)
export const tokensOf = (rows: ChargebackRow[]): number =>
  rows.reduce((n, r) => n + r.input_tokens + r.output_tokens, 0)
export const errorRateOf = (rows: ChargebackRow[]): number | null => {
  const requests = requestsOf(rows)
  return requests === 0 ? null : rows.reduce((n, r) => n + r.errors, 0) / requests
}
