import type { ScoreSummary } from '../api/client.ts'
import { formatScore } from '../lib/format.ts'

/** "helpfulness 0.812 (3) · 1 failed" — one entry per score name. */
export function ScoreSummaryCell({ summary }: { summary: ScoreSummary }) {
  if (summary.count === 0) return <span className="muted">—</span>
  const names = Object.entries(summary.by_name)
  return (
    <span className="score-summary">
      {names.map(([name, s]) => (
        <span key={name} className="score-chip" title={`${s.count} score(s)`}>
          {name} {s.mean === null ? `×${s.count}` : formatScore(s.mean)}
        </span>
      ))}
      {summary.failed > 0 ? <span className="score-chip failed">{summary.failed} failed</span> : null}
    </span>
  )
}
