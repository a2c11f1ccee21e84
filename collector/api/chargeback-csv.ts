import type { Chargeback, ChargebackUsage } from './types.ts'

/**
 * Quotes a field when needed, and defuses values a spreadsheet would run as a formula
 * (a route named `=HYPERLINK(…)` must stay text in finance's Excel).
 */
export function csvField(value: string | number): string {
  let s = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

const usageFields = (u: ChargebackUsage) => [
  u.requests,
  u.errors,
  u.input_tokens,
  u.output_tokens,
  u.cache_read_tokens,
  u.cache_write_tokens,
  u.cost_usd,
  u.cache_hits,
  u.saved_usd,
]

/** Header, one line per row, then a TOTAL line whose cost equals the sum of the rows. */
export function chargebackCsv(c: Chargeback): string {
  const header = [
    'tenant',
    'period',
    'period_start',
    c.group,
    'requests',
    'errors',
    'input_tokens',
    'output_tokens',
    'cache_read_tokens',
    'cache_write_tokens',
    'cost_usd',
    'cache_hits',
    'saved_usd',
  ]
  const lines = [header.join(',')]
  for (const r of c.rows)
    lines.push([r.tenant_id, c.period, r.period_start, r.key, ...usageFields(r)].map(csvField).join(','))
  lines.push(['TOTAL', c.period, c.from, '', ...usageFields(c.totals)].map(csvField).join(','))
  return `${lines.join('\r\n')}\r\n`
}
