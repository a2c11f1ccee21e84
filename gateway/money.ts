/**
 * Exact money: amounts are BigInt counts of 1e-12 USD ("pico-dollars"), so sums never drift
 * and a tenant's invoice equals the sum of its requests.
 */
export const UNITS_PER_USD = 1_000_000_000_000n
const SCALE_DIGITS = 12

/** "0.15" or 0.15 → 150_000_000_000n. Accepts up to 12 decimals; numbers are read through their decimal form. */
export function usdToUnits(value: string | number): bigint {
  const text = typeof value === 'number' ? value.toFixed(SCALE_DIGITS) : value.trim()
  const m = /^(\d+)(?:\.(\d{0,12}))?$/.exec(text)
  if (!m) throw new Error(`not a non-negative decimal with at most 12 decimals: ${value}`)
  return BigInt(m[1]!) * UNITS_PER_USD + BigInt((m[2] ?? '').padEnd(SCALE_DIGITS, '0') || '0')
}

/** 123n → "0.000000000123"; trailing zeros trimmed, at least one decimal kept ("1.0"). */
export function unitsToUsd(units: bigint): string {
  const negative = units < 0n
  const abs = negative ? -units : units
  const whole = abs / UNITS_PER_USD
  let frac = (abs % UNITS_PER_USD).toString().padStart(SCALE_DIGITS, '0').replace(/0+$/, '')
  if (!frac) frac = '0'
  return `${negative ? '-' : ''}${whole}.${frac}`
}

/** Per-million-token price (USD) → units per single token: $1 / 1M tokens = 1e6 units per token. */
export const perMillionToUnitsPerToken = (usdPerMillion: string | number): bigint => usdToUnits(usdPerMillion) / 1_000_000n

export const isDecimal = (s: string) => /^\d+(\.\d{0,12})?$/.test(s.trim())
