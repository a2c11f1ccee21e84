import { useMemo } from 'react'
import type { Score } from '../api/client.ts'
import { nsToDate } from '../api/client.ts'
import { useFailureClusters, useScores } from '../api/queries.ts'
import { useSearchParams } from '../app/url-state.ts'
import { FailureClusters } from '../components/FailureClusters.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { TimeChart } from '../components/TimeChart.tsx'
import { formatCount, formatScore } from '../lib/format.ts'
import { aggregateScores, scoreSeries } from '../lib/score-groups.ts'
import { bucketMs, dataRange, resolveRange, toApiTime, useXRange, type ResolvedRange } from '../lib/time-range.ts'

const SCORE_LIMIT = 10_000

export default function EvaluationsPage() {
  const [params, update] = useSearchParams()
  const tenant = useTenantFilter()
  const range = resolveRange(params)
  const name = params.get('scorer') || undefined
  const route = params.get('route') || undefined
  const scores = useScores({
    from: toApiTime(range.from),
    to: toApiTime(range.to),
    tenant,
    name,
    route,
    limit: SCORE_LIMIT,
  })
  const clusters = useFailureClusters({ from: toApiTime(range.from), to: toApiTime(range.to), tenant, name, route })
  return (
    <section>
      <PageHeader title="Evaluations">
        {name || route ? (
          <button type="button" onClick={() => update({ scorer: null, route: null })}>
            {[name && `scorer = ${name}`, route && `route = ${route}`].filter(Boolean).join(', ')} ✕
          </button>
        ) : null}
      </PageHeader>
      <QueryView
        query={scores}
        what="scores"
        isEmpty={(d) => d.scores.length === 0}
        empty="No scores in this time range."
      >
        {(data) => <EvaluationsView scores={data.scores} range={range} />}
      </QueryView>
      <h2>Failure clusters</h2>
      <QueryView query={clusters} what="failure clusters">
        {(data) => <FailureClusters data={data} />}
      </QueryView>
    </section>
  )
}

function EvaluationsView({ scores, range }: { scores: Score[]; range: ResolvedRange }) {
  const [, update] = useSearchParams()
  const aggregates = useMemo(() => aggregateScores(scores), [scores])
  // Scores come newest first: the last one is the oldest, where the data starts.
  const oldest = scores.length ? nsToDate(scores[scores.length - 1]!.created_at_ns).getTime() : null
  const shown = dataRange(range, oldest)
  const bucket = bucketMs(shown, 48)
  const series = useMemo(() => scoreSeries(scores, bucket), [scores, bucket])
  const xRange = useXRange(shown)
  return (
    <>
      {scores.length >= SCORE_LIMIT ? (
        <p className="muted">
          Showing the newest {formatCount(SCORE_LIMIT)} scores; narrow the time range for all of them.
        </p>
      ) : null}
      {series.x.length > 0 ? (
        <TimeChart
          xRange={xRange}
          title="Mean score per scorer over time"
          x={series.x}
          series={series.series}
          format={(v) => v.toFixed(2)}
        />
      ) : null}
      <h2>By scorer, route and target</h2>
      <table className="data" data-testid="score-aggregates">
        <thead>
          <tr>
            <th>Scorer</th>
            <th>Route</th>
            <th>Target</th>
            <th className="num">Scores</th>
            <th className="num">Mean</th>
            <th className="num">Failing</th>
          </tr>
        </thead>
        <tbody>
          {aggregates.map((a) => (
            <tr
              key={`${a.name}/${a.route}/${a.target}`}
              data-scorer={a.name}
              data-route={a.route}
              data-target={a.target}
            >
              <td>
                <button type="button" className="link-button" onClick={() => update({ scorer: a.name })}>
                  {a.name}
                </button>
              </td>
              <td>
                {a.route ? (
                  <button type="button" className="link-button" onClick={() => update({ route: a.route })}>
                    {a.route}
                  </button>
                ) : (
                  '—'
                )}
              </td>
              <td>{a.target || '—'}</td>
              <td className="num">{formatCount(a.count)}</td>
              <td className="num" data-col="mean">
                {formatScore(a.mean)}
              </td>
              <td className="num" data-col="failing">
                {formatCount(a.failing)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
