import type { ChargebackRow } from '../api/client.ts'
import { sumDecimals } from '../../../lib/money.ts'

export interface Series {
  /** Unix seconds, ascending. */
  x: number[]
  series: { label: string; values: (number | null)[] }[]
}

/** Per period × key, one numeric value (cost summed exactly first, then converted only for plotting). */
export function seriesByKey(rows: ChargebackRow[], value: (rows: ChargebackRow[]) => number, maxKeys = 6, keyOf = (r: ChargebackRow) => r.key || '(none)'): Series {
  const periods = [...new Set(rows.map((r) => r.period_start))].sort()
  const totals = new Map<string, number>()
  for (const r of rows) totals.set(keyOf(r), (totals.get(keyOf(r)) ?? 0) + value([r]))
  const keys = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, maxKeys).map(([k]) => k)
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
export function seriesTotal(rows: ChargebackRow[], label: string, value: (rows: ChargebackRow[]) => number | null): Series {
  const periods = [...new Set(rows.map((r) => r.period_start))].sort()
  const byPeriod = new Map<string, ChargebackRow[]>()
  for (const r of rows) byPeriod.set(r.period_start, [...(byPeriod.get(r.period_start) ?? []), r])
  return { x: periods.map((p) => Date.parse(p) / 1000), series: [{ label, values: periods.map((p) => value(byPeriod.get(p) ?? [])) }] }
}

export const costOf = (rows: ChargebackRow[]): number => Number(sumDecimals(rows.map((r) => r.cost_usd)))
export const requestsOf = (rows: ChargebackRow[]): number => rows.reduce((n, r) => n + r.requests, 0)
export const tokensOf = (rows: ChargebackRow[]): number => rows.reduce((n, r) => n + r.input_tokens + r.output_tokens, 0)
export const errorRateOf = (rows: ChargebackRow[]): number | null => {
  const requests = requestsOf(rows)
  return requests === 0 ? null : rows.reduce((n, r) => n + r.errors, 0) / requests
}
