import type { RoutingDecision } from '../api/client.ts'
import { formatNsDate } from '../lib/format.ts'

const weights = (w: Record<string, number>) =>
  Object.entries(w)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, v]) => `${t} ${v.toFixed(2)}`)
    .join(', ')

/** Each decision numbered as on the chart (oldest = 1), newest first, with its reason readable. */
export function DecisionList({ decisions }: { decisions: RoutingDecision[] }) {
  const numbered = [...decisions]
    .sort((a, b) => (BigInt(a.created_at_ns) < BigInt(b.created_at_ns) ? -1 : 1))
    .map((d, i) => ({ d, n: i + 1 }))
    .reverse()
  return (
    <table className="data" data-testid="decisions">
      <thead>
        <tr>
          <th>#</th>
          <th>At (UTC)</th>
          <th>Version</th>
          <th>Outcome</th>
          <th>Reason</th>
          <th>Weights before → after</th>
        </tr>
      </thead>
      <tbody>
        {numbered.map(({ d, n }) => (
          <tr key={d.decision_id} data-decision={d.decision_id}>
            <td>{n}</td>
            <td>{formatNsDate(d.created_at_ns)}</td>
            <td>
              {d.from_version || '—'} → {d.to_version || '—'}
            </td>
            <td>{d.dry_run ? 'dry run' : d.applied ? 'applied' : 'not applied'}</td>
            <td className="reason">{d.reason}</td>
            <td className="weights">
              {weights(d.old_weights)}
              <br />→ {weights(d.new_weights)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
