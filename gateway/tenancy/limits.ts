import { unitsToUsd } from '../money.ts'

/** The limits of one scope (a tenant or a key). Budgets are in 1e-12 USD. */
export interface LimitSpec {
  scope: string
  label: string
  rpm?: number | undefined
  tpm?: number | undefined
  usdPerDay?: bigint | undefined
  usdPerMonth?: bigint | undefined
}

export type LimitName = 'rpm' | 'tpm' | 'usd_per_day' | 'usd_per_month'

export interface Refusal {
  limit: LimitName
  label: string
  value: string
  resetsAt: Date
}

/**
 * Counters behind the limits: checked before the upstream call, settled with real usage after.
 * `admit` and `settle` may answer synchronously (in memory), so callers await only a Promise.
 */
export interface LimitStore {
  /** Checks every limit of every spec; when all pass, counts the request against each rpm window. */
  admit(specs: LimitSpec[], now: number): Refusal | undefined | Promise<Refusal | undefined>
  /** Adds the real tokens and cost once the answer is known. */
  settle(specs: LimitSpec[], tokens: number, costUnits: bigint, now: number): void | Promise<void>
  /** Spend so far in the current day and month (1e-12 USD). */
  spent(scope: string, now: number): Promise<{ day: bigint; month: bigint }>
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
  if (limit === 'rpm' || limit === 'tpm') return new Date((minuteOf(now) + 1) * 60_000)
  if (limit === 'usd_per_day') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1))
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
}

export function refusal(limit: LimitName, spec: LimitSpec, now: number): Refusal {
  const value =
    limit === 'rpm' ? `${spec.rpm} requests/minute`
    : limit === 'tpm' ? `${spec.tpm} tokens/minute`
    : limit === 'usd_per_day' ? `$${unitsToUsd(spec.usdPerDay ?? 0n)}/day`
    : `$${unitsToUsd(spec.usdPerMonth ?? 0n)}/month`
  return { limit, label: spec.label, value, resetsAt: resetOf(limit, now) }
}

/** Budgets answer 402 (retrying will not help before the reset); rate limits answer 429. */
export const refusalStatus = (r: Refusal) => (r.limit === 'rpm' || r.limit === 'tpm' ? 429 : 402)
