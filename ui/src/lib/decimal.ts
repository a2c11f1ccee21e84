// Exact arithmetic on the API's decimal strings (USD): scaled BigInt, never binary floats.
const SCALE = 12

function toScaled(value: string): bigint {
  const trimmed = value.trim()
  const negative = trimmed.startsWith('-')
  const [whole = '0', fraction = ''] = trimmed.replace(/^[-+]/, '').split('.')
  const scaled = BigInt(whole || '0') * 10n ** BigInt(SCALE) + BigInt((fraction + '0'.repeat(SCALE)).slice(0, SCALE) || '0')
  return negative ? -scaled : scaled
}

function fromScaled(value: bigint): string {
  const negative = value < 0n
  const abs = negative ? -value : value
  const unit = 10n ** BigInt(SCALE)
  const fraction = (abs % unit).toString().padStart(SCALE, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}${abs / unit}${fraction ? `.${fraction}` : ''}`
}

/** Exact sum of decimal strings, as a decimal string. */
export function sumDecimals(values: Iterable<string>): string {
  let total = 0n
  for (const v of values) total += toScaled(v)
  return fromScaled(total)
}

/** Orders decimal strings exactly (for sorting by cost). */
export function compareDecimals(a: string, b: string): number {
  const d = toScaled(a) - toScaled(b)
  return d < 0n ? -1 : d > 0n ? 1 : 0
}
