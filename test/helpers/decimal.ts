// The tests' own exact-decimal oracle (USD, 12 fractional digits), kept apart from the code under test.
const SCALE = 10n ** 12n

export const scaled = (s: string): bigint => {
  const [i, f = ''] = s.split('.')
  return BigInt(i!) * SCALE + BigInt(f.padEnd(12, '0'))
}

export const format = (v: bigint): string => {
  const f = (v % SCALE).toString().padStart(12, '0').replace(/0+$/, '')
  return `${v / SCALE}${f ? `.${f}` : ''}`
}
