import type { ChargebackUsage } from '../api/client.ts'
import { compareDecimals, sumDecimals } from '../../../lib/money.ts'
import { formatCount, formatUsd } from '../lib/format.ts'

/** The top entries by cost (exact decimal order), with requests and tokens. */
export function TopList({
  title,
  entries,
  limit = 8,
}: {
  title: string
  entries: [string, ChargebackUsage][]
  limit?: number
}) {
  const top = [...entries]
    .sort((a, b) => compareDecimals(b[1].cost_usd, a[1].cost_usd) || b[1].requests - a[1].requests)
    .slice(0, limit)
  return (
    <div className="top-list" data-testid={`top-${title.toLowerCase()}`}>
      <h3>Top {title}</h3>
      {top.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="data compact">
          <thead>
            <tr>
              <th>{title.replace(/s$/, '')}</th>
              <th className="num">Requests</th>
              <th className="num">Tokens</th>
              <th className="num">Cost</th>
            </tr>
          </thead>
          <tbody>
            {top.map(([key, u]) => (
              <tr key={key} data-key={key}>
                <td>{key || '(none)'}</td>
                <td className="num">{formatCount(u.requests)}</td>
                <td className="num">{formatCount(u.input_tokens + u.output_tokens)}</td>
                <td className="num">{formatUsd(u.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

/** Sums chargeback rows by key (exactly, for cost). */
export function usageByKey(
  rows: ({ key: string } & ChargebackUsage)[],
  keyOf: (r: { key: string } & ChargebackUsage) => string = (r) => r.key,
): [string, ChargebackUsage][] {
  const sums = new Map<string, { usage: ChargebackUsage; costs: string[]; saved: string[] }>()
  for (const r of rows) {
    const k = keyOf(r)
    const entry = sums.get(k) ?? {
      usage: {
        requests: 0,
        errors: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: '0',
        cache_hits: 0,
        saved_usd: '0',
      },
      costs: [],
      saved: [],
    }
    entry.usage.requests += r.requests
    entry.usage.errors += r.errors
    entry.usage.input_tokens += r.input_tokens
    entry.usage.output_tokens += r.output_tokens
    entry.usage.cache_read_tokens += r.cache_read_tokens
    entry.usage.cache_write_tokens += r.cache_write_tokens
    entry.usage.cache_hits += r.cache_hits
    entry.costs.push(r.cost_usd)
    entry.saved.push(r.saved_usd)
    sums.set(k, entry)
  }
  return [...sums.entries()].map(([k, e]) => [
    k,
    { ...e.usage, cost_usd: sumDecimals(e.costs), saved_usd: sumDecimals(e.saved) },
  ])
}
