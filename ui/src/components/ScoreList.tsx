import type { ReactNode } from 'react'
import type { Score } from '../api/client.ts'
import { explainReason } from '../../../lib/reason-template.ts'
import { formatNsDate, formatScore } from '../lib/format.ts'

const scoreValue = (s: Score): string =>
  s.data_type === 'boolean'
    ? s.value >= 0.5
      ? 'true'
      : 'false'
    : s.data_type === 'numeric'
      ? formatScore(s.value)
      : s.label || '—'

/** Who posted a score: the key the collector recorded, with the display name the poster gave (unverified). */
const postedBy = (s: Score): string => {
  const key = s.author || s.posted_by
  return s.author_name ? `${s.author_name} (${key})` : key
}

/** Evaluator and human scores together; `spanCell` adds a column naming the scored span. */
export function ScoreList({ scores, spanCell }: { scores: Score[]; spanCell?: (s: Score) => ReactNode }) {
  if (scores.length === 0) return <p className="muted">No scores.</p>
  return (
    <table className="data compact" data-testid="scores">
      <thead>
        <tr>
          <th>Score</th>
          {spanCell ? <th>Span</th> : null}
          <th>Value</th>
          <th>Source</th>
          <th>Reason / comment</th>
          <th>By</th>
          <th>Status</th>
          <th>At</th>
        </tr>
      </thead>
      <tbody>
        {scores.map((s) => (
          <tr
            key={s.score_id}
            className={s.status === 'failed' ? 'failed' : ''}
            data-score={s.name}
            data-source={s.source}
          >
            <td>{s.name}</td>
            {spanCell ? <td>{spanCell(s)}</td> : null}
            <td data-col="value">{scoreValue(s)}</td>
            <td>{s.source}</td>
            <td>
              {explainReason(s.reason)}
              {s.comment ? (
                <div className="score-comment" data-col="comment">
                  {s.comment}
                </div>
              ) : null}
            </td>
            <td data-col="by">{postedBy(s)}</td>
            <td>{s.status}</td>
            <td>{formatNsDate(s.created_at_ns)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
