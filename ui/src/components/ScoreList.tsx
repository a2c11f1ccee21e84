import type { Score } from '../api/client.ts'
import { formatNsDate, formatScore } from '../lib/format.ts'

const scoreValue = (s: Score): string =>
  s.data_type === 'boolean' ? (s.value >= 0.5 ? 'true' : 'false') : s.data_type === 'numeric' ? formatScore(s.value) : s.label || '—'

export function ScoreList({ scores }: { scores: Score[] }) {
  if (scores.length === 0) return <p className="muted">No scores.</p>
  return (
    <table className="data compact" data-testid="scores">
      <thead>
        <tr><th>Score</th><th>Value</th><th>Source</th><th>Reason</th><th>Status</th><th>At</th></tr>
      </thead>
      <tbody>
        {scores.map((s) => (
          <tr key={s.score_id} className={s.status === 'failed' ? 'failed' : ''}>
            <td>{s.name}</td>
            <td>{scoreValue(s)}</td>
            <td>{s.source}</td>
            <td>{s.reason}</td>
            <td>{s.status}</td>
            <td>{formatNsDate(s.created_at_ns)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
