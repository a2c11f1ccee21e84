import { useState } from 'react'
import type { SessionTrace } from '../api/client.ts'
import { useSession } from '../api/queries.ts'
import { href, Link } from '../app/router.tsx'
import { sharedParams, useSearchParams } from '../app/url-state.ts'
import { ScoreList } from '../components/ScoreList.tsx'
import { Stat } from '../components/Stat.tsx'
import { QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { formatCount, formatMs, formatNsDate, formatUsd, nsDiffMs } from '../lib/format.ts'
import { barGeometry, rowsFromFlat } from '../trace/span-rows.ts'
import { spanKindClass, spanKindLabel } from '../trace/span-kind.ts'

/** Spans shown inline per expanded trace; the trace page shows all of them. */
const INLINE_SPAN_LIMIT = 200

export default function SessionPage({ id }: { id: string }) {
  const tenant = useTenantFilter()
  const session = useSession(id, tenant)
  return (
    <section>
      <div className="page-header">
        <h1>
          Session <code>{id}</code>
        </h1>
      </div>
      <QueryView query={session} what="session">
        {(s) => (
          <>
            <div className="stats">
              <Stat label="Traces" value={formatCount(s.traces.length)} />
              <Stat label="Spans" value={formatCount(s.totals.spans)} />
              <Stat label="Duration" value={formatMs(s.totals.duration_ms)} />
              <Stat
                label="Tokens in / out"
                value={`${formatCount(s.totals.input_tokens)} / ${formatCount(s.totals.output_tokens)}`}
              />
              <Stat label="Cost" value={formatUsd(s.totals.cost_usd)} />
              <Stat label="Errors" value={formatCount(s.totals.errors)} />
            </div>
            <p className="muted">
              user {s.user_id || '—'} · tenant {s.tenant_id} · started {formatNsDate(s.start_ns)}
            </p>
            <h2>Timeline</h2>
            <ol className="timeline" data-testid="session-timeline">
              {s.traces.map((t) => (
                <TraceItem key={t.trace_id} trace={t} sessionStartNs={s.start_ns} />
              ))}
            </ol>
            <h2>Scores</h2>
            <ScoreList scores={s.scores} />
          </>
        )}
      </QueryView>
    </section>
  )
}

function TraceItem({ trace, sessionStartNs }: { trace: SessionTrace; sessionStartNs: string }) {
  const [params] = useSearchParams()
  const [open, setOpen] = useState(false)
  const rows = open ? rowsFromFlat(trace.spans).slice(0, INLINE_SPAN_LIMIT) : []
  return (
    <li className="timeline-item" data-trace-id={trace.trace_id}>
      <button type="button" className="timeline-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span>{open ? '▾' : '▸'}</span>
        <span className="timeline-offset">+{formatMs(nsDiffMs(sessionStartNs, trace.start_ns))}</span>
        <strong>{trace.name || trace.trace_id}</strong>
        <span className="muted">
          {formatCount(trace.totals.spans)} spans · {formatMs(trace.totals.duration_ms)} ·{' '}
          {formatCount(trace.totals.input_tokens + trace.totals.output_tokens)} tokens ·{' '}
          {formatUsd(trace.totals.cost_usd)}
          {trace.totals.errors > 0 ? ` · ${trace.totals.errors} errors` : ''}
        </span>
      </button>
      {open ? (
        <div className="timeline-body">
          <Link to={href(`/traces/${trace.trace_id}`, sharedParams(params))}>Open trace →</Link>
          <ul className="mini-waterfall">
            {rows.map(({ span, depth }) => {
              const bar = barGeometry(span.start_ns, span.end_ns, trace.start_ns, trace.end_ns)
              return (
                <li key={span.span_id} className={spanKindClass(span)}>
                  <Link
                    to={href(`/traces/${trace.trace_id}`, { ...sharedParams(params), span: span.span_id })}
                    className="span-label"
                    style={{ paddingLeft: depth * 14 }}
                  >
                    <span className="kind-tag">{spanKindLabel(span)}</span> {span.name}
                  </Link>
                  <span className="span-track">
                    <span className="span-bar" style={{ left: `${bar.left}%`, width: `${bar.width}%` }} />
                  </span>
                  <span className="num">{formatMs(span.duration_ms)}</span>
                </li>
              )
            })}
          </ul>
          {trace.spans.length > INLINE_SPAN_LIMIT ? (
            <p className="muted">{trace.spans.length - INLINE_SPAN_LIMIT} more spans on the trace page.</p>
          ) : null}
        </div>
      ) : null}
    </li>
  )
}
