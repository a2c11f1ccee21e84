// Exact decimal arithmetic on scaled BigInts, for money and unit conversions (ms → ns): an amount is
// an integer count of 10^-scale units. USD amounts use scale 12 (ClickHouse's Decimal(18, 12) /
// Decimal(38, 12)); price arithmetic uses finer scales and rounds once at the end. Inputs are decimal
// strings or JS numbers taken at their shortest round-trip decimal form (what the producer or the
// price table wrote), never their binary expansion. Shared by every component and the UI.

/** The scale of stored USD amounts: ClickHouse's Decimal(18, 12) / Decimal(38, 12). */
export const USD_SCALE = 12

const DECIMAL = /^\+?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/** Parses a decimal (optionally with exponent) into an integer count of 10^-scale units, rounding half up. Null when not a finite decimal, or negative without `allowNegative`. */
export function parseScaled(value: string | number, scale: number, allowNegative = false): bigint | null {
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim()
  if (allowNegative && s.startsWith('-')) {
    const abs = parseScaled(s.slice(1), scale)
    return abs === null ? null : -abs
  }
  const m = DECIMAL.exec(s)
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

/** Integer units from one scale to another; going to a smaller scale rounds half away from zero. */
export function rescale(units: bigint, fromScale: number, toScale: number): bigint {
  if (fromScale <= toScale) return units * 10n ** BigInt(toScale - fromScale)
  const div = 10n ** BigInt(fromScale - toScale)
  return units < 0n ? -((-units + div / 2n) / div) : (units + div / 2n) / div
}

/** Units → decimal string rounded (half away from zero) to `digits` fractional digits, trailing zeros dropped. */
export function formatRounded(units: bigint, scale: number, digits: number): string {
  return digits >= scale ? formatScaled(units, scale) : formatScaled(rescale(units, scale, digits), digits)
}

/** A USD decimal string read back from ClickHouse (or the API), as integer units of 10^-12 USD. Throws when not a decimal. */
export function usdUnits(value: string): bigint {
  const units = parseScaled(value, USD_SCALE, true)
  if (units === null) throw new Error(`not a decimal: ${value}`)
  return units
}

const CONFIG_USD = /^\d+(\.\d{0,12})?$/

/** Whether `s` is a non-negative plain decimal with at most 12 decimals: the form configured USD amounts take. */
export const isDecimal = (s: string): boolean => CONFIG_USD.test(s.trim())

/** A configured USD amount ("0.15" or 0.15) → 10^-12 USD units. Throws unless a non-negative decimal with at most 12 decimals. */
export function usdToUnits(value: string | number): bigint {
  const units =
    typeof value === 'number'
      ? value >= 0
        ? parseScaled(value, USD_SCALE)
        : null
      : isDecimal(value)
        ? parseScaled(value, USD_SCALE)
        : null
  if (units === null) throw new Error(`not a non-negative decimal with at most 12 decimals: ${value}`)
  return units
}

/** 10^-12 USD units → "0.000000000123"; trailing zeros trimmed but one decimal kept ("1.0"), the form of the gateway's cost headers. */
export function unitsToUsd(units: bigint): string {
  const s = formatScaled(units, USD_SCALE)
  return s.includes('.') ? s : `${s}.0`
}

/** Exact sum of USD decimal strings, as a decimal string (a value that is not a decimal counts as 0). */
export function sumDecimals(values: Iterable<string>): string {
  let total = 0n
  for (const v of values) total += parseScaled(v, USD_SCALE, true) ?? 0n
  return formatScaled(total, USD_SCALE)
}

/** Orders USD decimal strings exactly (for sorting by cost). */
export function compareDecimals(a: string, b: string): number {
  const d = (parseScaled(a, USD_SCALE, true) ?? 0n) - (parseScaled(b, USD_SCALE, true) ?? 0n)
  return d < 0n ? -1 : d > 0n ? 1 : 0
}
