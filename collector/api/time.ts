import { ApiError } from './errors.ts'

const NS_PER_MS = 1_000_000n

export const nowNs = (): bigint => BigInt(Date.now()) * NS_PER_MS

/**
 * A time given by a caller: ISO 8601 (`2024-05-01`, `2024-05-01T10:00:00Z`; no zone means UTC)
 * or an integer count of nanoseconds since the epoch.
 */
export function parseTime(value: string, field: string): bigint {
  const v = value.trim()
  if (/^\d{1,19}$/.test(v)) return BigInt(v)
  const iso = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(v) ? `${v}Z` : v
  const ms = /^\d{4}-\d{2}-\d{2}/.test(iso) ? Date.parse(iso) : NaN
  if (!Number.isFinite(ms)) {
    throw new ApiError(
      400,
      `invalid query field "${field}": expected an ISO 8601 time or nanoseconds since the epoch, got "${value.slice(0, 64)}"`,
      field,
    )
  }
  // Keep sub-millisecond digits that Date.parse drops.
  const frac = /\.(\d{4,9})/.exec(iso)?.[1]
  const extra = frac ? BigInt(frac.padEnd(9, '0').slice(3)) : 0n
  return BigInt(ms) * NS_PER_MS + extra
}

const UNIT_NS: Record<string, bigint> = {
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
}

/** `30s`, `5m`, `2h`, `7d` → nanoseconds. */
export function parseWindow(value: string, field = 'window'): bigint {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(value.trim())
  if (!m)
    throw new ApiError(400, `invalid query field "${field}": expected a duration such as 30s, 5m, 1h or 7d`, field)
  const ns = BigInt(m[1]!) * UNIT_NS[m[2]!]!
  if (ns <= 0n) throw new ApiError(400, `invalid query field "${field}": must be positive`, field)
  if (ns > 400n * UNIT_NS.d!) throw new ApiError(400, `invalid query field "${field}": at most 400d`, field)
  return ns
}

export interface TimeRange {
  fromNs: bigint
  toNs: bigint
}

/** from/to with a default span ending now; refuses an inverted range. */
export function timeRange(q: { from?: string; to?: string }, defaultSpanNs: bigint): TimeRange {
  const toNs = q.to ? parseTime(q.to, 'to') : nowNs()
  const fromNs = q.from ? parseTime(q.from, 'from') : toNs - defaultSpanNs
  if (fromNs > toNs) throw new ApiError(400, 'invalid query field "from": must not be after "to"', 'from')
  return { fromNs, toNs }
}

export const DAY_NS = UNIT_NS.d!

/** ns → `2024-05-01T10:00:00.123456789Z`. */
export function nsToIso(ns: bigint): string {
  const ms = ns / NS_PER_MS
  const iso = new Date(Number(ms)).toISOString()
  const subMs = (ns % NS_PER_MS).toString().padStart(6, '0')
  return subMs === '000000' ? iso : iso.replace(/Z$/, `${subMs}Z`)
}
