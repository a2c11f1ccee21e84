/** Exact USD arithmetic on decimal strings (the spans' Decimal(18, 12) / rollups' Decimal(38, 12)). */
const SCALE = 12
const UNIT = 10n ** BigInt(SCALE)

export function toScaled(value: string): bigint {
  const v = value.trim()
  const dot = v.indexOf('.')
  const int = dot < 0 ? v : v.slice(0, dot)
  const frac = dot < 0 ? '' : v.slice(dot + 1)
  if (!/^-?\d+$/.test(int) || (frac !== '' && !/^\d+$/.test(frac))) throw new Error(`not a decimal: ${value}`)
  if (frac.length > SCALE) throw new Error(`more than ${SCALE} fractional digits: ${value}`)
  return BigInt(int + frac.padEnd(SCALE, '0'))
}

/** Like ClickHouse's own Decimal output: no trailing zeros, `0` for zero. */
export function fromScaled(v: bigint): string {
  const neg = v < 0n
  const abs = neg ? -v : v
  const int = abs / UNIT
  const frac = (abs % UNIT).toString().padStart(SCALE, '0').replace(/0+$/, '')
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`
}

export function addDecimals(values: Iterable<string>): string {
  let total = 0n
  for (const v of values) total += toScaled(v)
  return fromScaled(total)
}
