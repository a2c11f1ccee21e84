// Exact decimal arithmetic on scaled BigInts, for money (Decimal(18, 12) USD: scale 12) and unit
// conversions (ms → ns). Inputs are decimal strings or JS numbers taken at their shortest
// round-trip decimal form (what the producer wrote), never their binary expansion.

/** The scale of USD amounts: ClickHouse's Decimal(18, 12) / Decimal(38, 12). */
export const USD_SCALE = 12

/** Parses a decimal (optionally with exponent) into an integer count of 10^-scale units, rounding half up. Null when not a finite decimal, or negative without `allowNegative`. */
export function parseScaled(value: string | number, scale: number, allowNegative = false): bigint | null {
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim()
  if (allowNegative && s.startsWith('-')) {
    const abs = parseScaled(s.slice(1), scale)
    return abs === null ? null : -abs
  }
  const m = /^\+?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s)
  if (!m) return null
  const intPart = m[1] ?? ''
  const fracPart = m[2] ?? ''
  if (intPart === '' && fracPart === '') return null
  const exp = m[3] ? Number(m[3]) : 0
  if (!Number.isFinite(exp) || Math.abs(exp) > 400) return null
  const digits = BigInt(intPart + fracPart || '0')
  // value = digits × 10^(exp - fracPart.length); we want value × 10^scale
  const shift = scale + exp - fracPart.length
  if (shift >= 0) return digits * 10n ** BigInt(shift)
  const div = 10n ** BigInt(-shift)
  return (digits + div / 2n) / div
}

/** Integer units of 10^-scale → plain decimal string without trailing zeros ('0' for zero). */
export function formatScaled(units: bigint, scale: number): string {
  const neg = units < 0n
  const abs = neg ? -units : units
  const base = 10n ** BigInt(scale)
  const whole = abs / base
  let frac = (abs % base).toString().padStart(scale, '0')
  let end = frac.length
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--
  frac = frac.slice(0, end)
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`
}

/** Rounds integer units from one scale down to a smaller one, half up. */
export function rescale(units: bigint, fromScale: number, toScale: number): bigint {
  if (fromScale <= toScale) return units * 10n ** BigInt(toScale - fromScale)
  const div = 10n ** BigInt(fromScale - toScale)
  return (units + div / 2n) / div
}

/** A USD decimal string read back from ClickHouse, as integer units of 10^-12 USD. */
export function usdUnits(value: string): bigint {
  const units = parseScaled(value, USD_SCALE, true)
  if (units === null) throw new Error(`not a decimal: ${value}`)
  return units
}
