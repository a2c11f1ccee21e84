import type { FailureCluster, FailureClusterList } from '../api/client.ts'
import { href, Link } from '../app/router.tsx'
import { sharedParams, useSearchParams } from '../app/url-state.ts'
import { explainReason } from '../../../lib/reason-template.ts'
import { formatCount, formatNsDate, formatScore } from '../lib/format.ts'

/** Bars of failing cases per bucket; the title names the bucket size. */
function Trend({ cluster, bucketSeconds }: { cluster: FailureCluster; bucketSeconds: number }) {
  const max = Math.max(1, ...cluster.trend)
  const hours = bucketSeconds / 3600
  return (
    <span
      className="cluster-trend"
      data-trend={cluster.trend.join(',')}
      title={`cases per ${hours >= 1 ? `${hours} h` : `${bucketSeconds / 60} min`}`}
      aria-hidden
    >
      {cluster.trend.map((n, i) => (
        <span key={i} style={{ height: `${(n / max) * 100}%`, opacity: n ? 1 : 0.25 }} />
      ))}
    </span>
  )
}

/** Failing evaluations grouped by scorer and reason template, each with its trend and newest cases. */
export function FailureClusters({ data }: { data: FailureClusterList }) {
  const [params] = useSearchParams()
  if (data.clusters.length === 0) return <p className="muted">No failing cases.</p>
  return (
    <div data-testid="failure-clusters">
      <p className="muted">
        {formatCount(data.total)} failing case(s); the {formatCount(data.clusters.length)} largest cluster(s): reasons
        that differ only in numbers, ids, times or quoted values are grouped.
      </p>
      {data.clusters.map((c) => (
        <details
          key={`${c.name}/${c.template}`}
          className="failure-group"
          data-scorer={c.name}
          data-count={c.count}
          open={data.clusters.length <= 5}
        >
          <summary>
            <strong>{c.name}</strong> · <span className="reason cluster-template">{c.template}</span> ·{' '}
            {formatCount(c.count)} case(s)
            <Trend cluster={c} bucketSeconds={data.bucket_seconds} />
            <span className="muted">
              {c.reasons > 1 ? `${formatCount(c.reasons)} distinct reasons · ` : ''}
              {c.scorer_failed > 0 ? `${formatCount(c.scorer_failed)} where the scorer failed · ` : ''}
              last {formatNsDate(c.last_ns)}
            </span>
          </summary>
          <ul>
            {c.examples.map((e) => (
              <li key={`${e.trace_id}/${e.span_id}/${e.created_ns}`}>
                {e.trace_id ? (
                  <Link to={href(`/traces/${e.trace_id}`, { ...sharedParams(params), span: e.span_id || null })}>
                    trace {e.trace_id.slice(0, 12)}…
                  </Link>
                ) : (
                  <Link to={href(`/sessions/${encodeURIComponent(e.session_id)}`, sharedParams(params))}>
                    session {e.session_id}
                  </Link>
                )}{' '}
                <span className="muted">
                  {[e.route, e.target].filter(Boolean).join(' → ')} · value {formatScore(e.value)} ·{' '}
                  {explainReason(e.reason)}
                </span>
              </li>
            ))}
          </ul>
          {c.count > c.examples.length ? (
            <p className="muted">and {formatCount(c.count - c.examples.length)} more.</p>
          ) : null}
        </details>
      ))}
    </div>
  )
}
