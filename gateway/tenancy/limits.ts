import { unitsToUsd } from '../../lib/money.ts'

/** The limits of one scope (a tenant or a key). Budgets are in 1e-12 USD. */
export interface LimitSpec {
  scope: string
  label: string
  rpm?: number | undefined
  tpm?: number | undefined
  usdPerDay?: bigint | undefined
  usdPerMonth?: bigint | undefined
}

/** `unavailable`: the shared store (Redis) cannot be reached and failureMode is `deny`. */
export type LimitName = 'rpm' | 'tpm' | 'usd_per_day' | 'usd_per_month' | 'unavailable'

export interface Refusal {
  limit: LimitName
  label: string
  value: string
  resetsAt: Date
  /** Budgets: what is left of the period (settled spend and other requests' holds deducted), and what this request needed. */
  remaining?: bigint
  needed?: bigint
}

/** What a request may cost at worst: held against every budget before the upstream call. */
export interface Ask {
  units: bigint
  tokens: number
}

/** A granted reservation. Settled exactly once, against the windows it was taken in. */
export interface Hold {
  specs: LimitSpec[]
  units: bigint
  tokens: number
  minute: number
  day: string
  month: string
  /** Taken on this process's own counters while Redis was unreachable. */
  local: boolean
}

export const isRefusal = (r: Refusal | Hold): r is Refusal => 'limit' in r

export const hasLimit = (s: LimitSpec) =>
  s.rpm !== undefined || s.tpm !== undefined || s.usdPerDay !== undefined || s.usdPerMonth !== undefined

/**
 * A key with no limit on any of its scopes holds nothing before the call (no admit, no Redis round
 * trip): this empty hold, taken now, only carries the periods its settled spend is counted in.
 */
export function spendOnlyHold(specs: LimitSpec[], now: number): Hold {
  return { specs, units: 0n, tokens: 0, minute: minuteOf(now), day: dayOf(now), month: monthOf(now), local: false }
}

/**
 * Counters behind the limits: `admit` checks every limit and reserves the worst case in one atomic
 * step; `settle` replaces the reservation by the real tokens and cost once the answer is known (0 and 0n
 * release it). Both may answer synchronously (in memory), so callers await only a Promise.
 */
export interface LimitStore {
  admit(specs: LimitSpec[], ask: Ask, now: number): Refusal | Hold | Promise<Refusal | Hold>
  settle(hold: Hold, tokens: number, costUnits: bigint): void | Promise<void>
  /** Settled spend in the current day and month (1e-12 USD). */
  spent(scope: string, now: number): Promise<{ day: bigint; month: bigint }>
  /** Prometheus gauges (name → value), shown by /metrics. */
  gauges?(): Record<string, number>
  close(): Promise<void>
}

export const minuteOf = (now: number) => Math.floor(now / 60_000)
// Date formatting is costly on the hot path: the day string is computed once per minute.
let cachedMinute = -1
let cachedIso = ''
const isoOf = (now: number) => {
  const minute = minuteOf(now)
  if (minute !== cachedMinute) {
    cachedMinute = minute
    cachedIso = new Date(minute * 60_000).toISOString()
  }
  return cachedIso
}
export const dayOf = (now: number) => isoOf(now).slice(0, 10)
export const monthOf = (now: number) => isoOf(now).slice(0, 7)

export function resetOf(limit: LimitName, now: number): Date {
  const d = new Date(now)
  if (limit === 'rpm' || limit === 'tpm' || limit === 'unavailable') return new Date((minuteOf(now) + 1) * 60_000)
  if (limit === 'usd_per_day') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1))
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
}

export function refusal(
  limit: LimitName,
  spec: LimitSpec,
  now: number,
  budget?: { remaining: bigint; needed: bigint },
): Refusal {
  const value =
    limit === 'rpm'
      ? `${spec.rpm} requests/minute`
      : limit === 'tpm'
        ? `${spec.tpm} tokens/minute`
        : limit === 'usd_per_day'
          ? `$${unitsToUsd(spec.usdPerDay ?? 0n)}/day`
          : limit === 'usd_per_month'
            ? `$${unitsToUsd(spec.usdPerMonth ?? 0n)}/month`
            : 'Redis unreachable'
  const r: Refusal = { limit, label: spec.label, value, resetsAt: resetOf(limit, now) }
  if (budget) {
    r.remaining = budget.remaining > 0n ? budget.remaining : 0n
    r.needed = budget.needed
  }
  return r
}

/** A budget refusal: `used` is settled spend plus the holds of requests in flight. */
export function budgetRefusal(
  limit: 'usd_per_day' | 'usd_per_month',
  spec: LimitSpec,
  used: bigint,
  needed: bigint,
  now: number,
): Refusal {
  const cap = (limit === 'usd_per_day' ? spec.usdPerDay : spec.usdPerMonth) ?? 0n
  return refusal(limit, spec, now, { remaining: cap - used, needed })
}

/** Does a reservation of `needed` on top of `used` stay within `cap`? An empty ask passes while anything is left. */
export const fits = (used: bigint, needed: bigint, cap: bigint) => (needed === 0n ? used < cap : used + needed <= cap)

/** Budgets answer 402 (retrying will not help before the reset); rate limits 429; an unreachable store 503. */
export const refusalStatus = (r: Refusal) =>
  r.limit === 'rpm' || r.limit === 'tpm' ? 429 : r.limit === 'unavailable' ? 503 : 402
