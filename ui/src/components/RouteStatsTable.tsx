import type { RouteTargetStats } from '../api/client.ts'
import { formatCount, formatMs, formatPercent, formatScore, formatUsd } from '../lib/format.ts'

/** Per route × target: live weight (admin), traffic, errors, latency, cost, quality. */
export function RouteStatsTable({
  stats,
  weights,
}: {
  stats: RouteTargetStats[]
  weights: Map<string, Record<string, number>> | null
}) {
  return (
    <table className="data" data-testid="route-stats">
      <thead>
        <tr>
          <th>Route</th>
          <th>Target</th>
          {weights ? <th className="num">Weight</th> : null}
          <th className="num">Requests</th>
          <th className="num">Error rate</th>
          <th className="num">p50 / p95 latency</th>
          <th className="num">p95 TTFT</th>
          <th className="num">Mean cost</th>
          <th className="num">Total cost</th>
          <th className="num">Quality (n)</th>
        </tr>
      </thead>
      <tbody>
        {stats.map((s) => {
          const w = weights?.get(s.route)?.[s.target]
          return (
            <tr key={`${s.route}/${s.target}`} data-route={s.route} data-target={s.target}>
              <td>{s.route}</td>
              <td>{s.target}</td>
              {weights ? <td className="num">{w === undefined ? '—' : w.toFixed(2)}</td> : null}
              <td className="num" data-col="requests">
                {formatCount(s.requests)}
              </td>
              <td className="num" data-col="error-rate">
                {formatPercent(s.error_rate)}
              </td>
              <td className="num">
                {s.latency_ms ? `${formatMs(s.latency_ms.p50)} / ${formatMs(s.latency_ms.p95)}` : '—'}
              </td>
              <td className="num">{formatMs(s.ttft_ms?.p95)}</td>
              <td className="num">{formatUsd(s.cost_mean_usd)}</td>
              <td className="num" data-col="cost">
                {formatUsd(s.cost_total_usd)}
              </td>
              <td className="num" data-col="quality">
                {formatScore(s.quality_mean)} ({s.quality_count})
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
