import { useMemo } from 'react'
import type { Score } from '../api/client.ts'
import { useScores } from '../api/queries.ts'
import { href, Link } from '../app/router.tsx'
import { sharedParams, useSearchParams } from '../app/url-state.ts'
import { PageHeader } from '../components/PageHeader.tsx'
import { QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { TimeChart } from '../components/TimeChart.tsx'
import { formatCount, formatScore } from '../lib/format.ts'
import { aggregateScores, groupFailures, scoreSeries } from '../lib/score-groups.ts'
import { bucketMs, resolveRange, toApiTime, useXRange } from '../lib/time-range.ts'

const SCORE_LIMIT = 10_000
const CASES_SHOWN = 20

export default function EvaluationsPage() {
  const [params, update] = useSearchParams()
  const tenant = useTenantFilter()
  const range = resolveRange(params, Date.now(), '7d')
  const name = params.get('scorer') || undefined
  const route = params.get('route') || undefined
  const xRange = useXRange(range)
  const scores = useScores({ from: toApiTime(range.from), to: toApiTime(range.to), tenant, name, route, limit: SCORE_LIMIT })
  return (
    <section>
      <PageHeader title="Evaluations" rangeFallback="7d">
        {name || route ? (
          <button type="button" onClick={() => update({ scorer: null, route: null })}>
            {[name && `scorer = ${name}`, route && `route = ${route}`].filter(Boolean).join(', ')} ✕
          </button>
        ) : null}
      </PageHeader>
      <QueryView query={scores} what="scores" isEmpty={(d) => d.scores.length === 0} empty="No scores in this time range.">
        {(data) => <EvaluationsView scores={data.scores} bucket={bucketMs(range, 48)} xRange={xRange} />}
      </QueryView>
    </section>
  )
}

function EvaluationsView({ scores, bucket, xRange }: { scores: Score[]; bucket: number; xRange: [number, number] }) {
  const [params, update] = useSearchParams()
  const aggregates = useMemo(() => aggregateScores(scores), [scores])
  const failures = useMemo(() => groupFailures(scores), [scores])
  const series = useMemo(() => scoreSeries(scores, bucket), [scores, bucket])
  return (
    <>
      {scores.length >= SCORE_LIMIT ? <p className="muted">Showing the newest {formatCount(SCORE_LIMIT)} scores; narrow the time range for all of them.</p> : null}
      {series.x.length > 0 ? <TimeChart xRange={xRange} title="Mean score per scorer over time" x={series.x} series={series.series} format={(v) => v.toFixed(2)} /> : null}
      <h2>By scorer, route and target</h2>
      <table className="data" data-testid="score-aggregates">
        <thead>
          <tr><th>Scorer</th><th>Route</th><th>Target</th><th className="num">Scores</th><th className="num">Mean</th><th className="num">Failing</th></tr>
        </thead>
        <tbody>
          {aggregates.map((a) => (
            <tr key={`${a.name}/${a.route}/${a.target}`} data-scorer={a.name} data-route={a.route} data-target={a.target}>
              <td><button type="button" className="link-button" onClick={() => update({ scorer: a.name })}>{a.name}</button></td>
              <td>{a.route ? <button type="button" className="link-button" onClick={() => update({ route: a.route })}>{a.route}</button> : '—'}</td>
              <td>{a.target || '—'}</td>
              <td className="num">{formatCount(a.count)}</td>
              <td className="num" data-col="mean">{formatScore(a.mean)}</td>
              <td className="num" data-col="failing">{formatCount(a.failing)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Failing cases by reason</h2>
      {failures.length === 0 ? <p className="muted">No failing cases.</p> : null}
      {failures.map((g) => (
        <details key={`${g.name}/${g.reason}`} className="failure-group" data-scorer={g.name} open={failures.length <= 5}>
          <summary>
            <strong>{g.name}</strong> · <span className="reason">{g.reason}</span> · {formatCount(g.scores.length)} case(s)
          </summary>
          <ul>
            {g.scores.slice(0, CASES_SHOWN).map((s) => (
              <li key={s.score_id}>
                {s.trace_id ? (
                  <Link to={href(`/traces/${s.trace_id}`, { ...sharedParams(params), span: s.span_id || null })}>trace {s.trace_id.slice(0, 12)}…</Link>
                ) : (
                  <Link to={href(`/sessions/${encodeURIComponent(s.session_id)}`, sharedParams(params))}>session {s.session_id}</Link>
                )}{' '}
                <span className="muted">{[s.route, s.target].filter(Boolean).join(' → ')} · value {formatScore(s.value)}</span>
              </li>
            ))}
          </ul>
          {g.scores.length > CASES_SHOWN ? <p className="muted">and {g.scores.length - CASES_SHOWN} more.</p> : null}
        </details>
      ))}
    </>
  )
}
