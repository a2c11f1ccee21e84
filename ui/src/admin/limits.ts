import type { AdminLimits } from '../api/client.ts'
import { formatUsd } from '../lib/format.ts'

/** `$5.00/day, 60 rpm` — or `none`. */
export function describeLimits(l: AdminLimits): string {
  const parts = [
    l.budgets?.usdPerDay !== undefined ? `${formatUsd(l.budgets.usdPerDay)}/day` : '',
    l.budgets?.usdPerMonth !== undefined ? `${formatUsd(l.budgets.usdPerMonth)}/month` : '',
    l.rateLimits?.rpm !== undefined ? `${l.rateLimits.rpm} rpm` : '',
    l.rateLimits?.tpm !== undefined ? `${l.rateLimits.tpm} tpm` : '',
  ].filter(Boolean)
  return parts.join(', ') || 'none'
}

export interface LimitFields {
  usdPerDay: string
  usdPerMonth: string
  rpm: string
  tpm: string
}

export const emptyFields: LimitFields = { usdPerDay: '', usdPerMonth: '', rpm: '', tpm: '' }

export const fieldsOf = (l: AdminLimits): LimitFields => ({
  usdPerDay: l.budgets?.usdPerDay ?? '',
  usdPerMonth: l.budgets?.usdPerMonth ?? '',
  rpm: l.rateLimits?.rpm !== undefined ? String(l.rateLimits.rpm) : '',
  tpm: l.rateLimits?.tpm !== undefined ? String(l.rateLimits.tpm) : '',
})

/**
 * The form's fields as a request: empty fields and fields the configuration declares are left out
 * (the gateway refuses to change those). Numbers that are not whole are sent as they are typed, so
 * the gateway's 400 names them.
 */
export function limitsOf(f: LimitFields, config: AdminLimits = {}): AdminLimits {
  const budgets: Record<string, string> = {}
  const rateLimits: Record<string, number> = {}
  if (f.usdPerDay.trim() && config.budgets?.usdPerDay === undefined) budgets.usdPerDay = f.usdPerDay.trim()
  if (f.usdPerMonth.trim() && config.budgets?.usdPerMonth === undefined) budgets.usdPerMonth = f.usdPerMonth.trim()
  if (f.rpm.trim() && config.rateLimits?.rpm === undefined) rateLimits.rpm = Number(f.rpm)
  if (f.tpm.trim() && config.rateLimits?.tpm === undefined) rateLimits.tpm = Number(f.tpm)
  return {
    ...(Object.keys(budgets).length ? { budgets } : {}),
    ...(Object.keys(rateLimits).length ? { rateLimits } : {}),
  }
}
