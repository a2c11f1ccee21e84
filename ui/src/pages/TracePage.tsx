import { useMemo, useState } from 'react'
import type { Trace } from '../api/client.ts'
import { useTrace } from '../api/queries.ts'
import { href, Link } from '../app/router.tsx'
import { sharedParams, useSearchParams } from '../app/url-state.ts'
import { ScoreList } from '../components/ScoreList.tsx'
import { Stat } from '../components/Stat.tsx'
import { QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { formatCount, formatMs, formatNsDate, formatUsd } from '../lib/format.ts'
import { AnnotateForm } from '../trace/AnnotateForm.tsx'
import { SpanDetail } from '../trace/SpanDetail.tsx'
import { flattenTree, indexTree } from '../trace/span-rows.ts'
import { SpanWaterfall } from '../trace/SpanWaterfall.tsx'

export default function TracePage({ id }: { id: string }) {
  const tenant = useTenantFilter()
  const trace = useTrace(id, tenant)
  return (
    <section>
      <div className="page-header">
        <h1>
          Trace <code>{id}</code>
        </h1>
      </div>
      <QueryView query={trace} what="trace">
        {(data) => <TraceView trace={data} />}
      </QueryView>
    </section>
  )
}

function TraceView({ trace }: { trace: Trace }) {
  const [params, update] = useSearchParams()
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set())
  const byId = useMemo(() => indexTree(trace.roots), [trace])
  const rows = useMemo(() => flattenTree(trace.roots, collapsed), [trace, collapsed])
  const selectedId = params.get('span') ?? trace.roots[0]?.span_id ?? null
  const selected = selectedId ? byId.get(selectedId) : undefined
  const toggle = (spanId: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev)
      if (!next.delete(spanId)) next.add(spanId)
      return next
    })
  const t = trace.totals
  return (
    <>
      <div className="stats">
        <Stat label="Spans" value={formatCount(t.spans)} />
        <Stat label="LLM calls" value={formatCount(t.llm_calls)} />
        <Stat label="Errors" value={formatCount(t.errors)} />
        <Stat label="Duration" value={formatMs(t.duration_ms)} />
        <Stat label="Tokens in / out" value={`${formatCount(t.input_tokens)} / ${formatCount(t.output_tokens)}`} />
        <Stat label="Cost" value={formatUsd(t.cost_usd)} />
      </div>
      <p className="muted">
        tenant {trace.tenant_id} · started {formatNsDate(trace.start_ns)}
        {trace.session_ids.map((s) => (
          <span key={s}>
            {' '}
            · session <Link to={href(`/sessions/${encodeURIComponent(s)}`, sharedParams(params))}>{s}</Link>
          </span>
        ))}
      </p>
      <div className="trace-layout">
        <SpanWaterfall
          rows={rows}
          traceStartNs={trace.start_ns}
          traceEndNs={trace.end_ns}
          selectedId={selectedId}
          collapsed={collapsed}
          onSelect={(spanId) => update({ span: spanId }, { replace: true })}
          onToggle={toggle}
        />
        {selected ? (
          <SpanDetail span={selected} scores={trace.scores.filter((s) => s.span_id === selected.span_id)}>
            <AnnotateForm
              key={selected.span_id}
              tenantId={trace.tenant_id}
              traceId={trace.trace_id}
              spanId={selected.span_id}
              what="span"
            />
          </SpanDetail>
        ) : null}
      </div>
      <h2>Scores</h2>
      <p className="muted">
        {formatCount(trace.scores.length)} score(s) on this trace and its spans
        {trace.scores.length > 0
          ? ` (${formatCount(trace.scores.filter((s) => !s.span_id).length)} on the trace itself)`
          : ''}
        .
      </p>
      <ScoreList
        scores={trace.scores}
        spanCell={(s) =>
          s.span_id ? (
            <button
              type="button"
              className="link-button"
              onClick={() => update({ span: s.span_id }, { replace: true })}
            >
              {byId.get(s.span_id)?.name ?? s.span_id}
            </button>
          ) : (
            <span className="muted">trace</span>
          )
        }
      />
      <h3>Annotate this trace</h3>
      <AnnotateForm tenantId={trace.tenant_id} traceId={trace.trace_id} what="trace" />
    </>
  )
}
