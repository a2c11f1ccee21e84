import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef } from 'react'
import type { RequestRow } from '../api/client.ts'
import { REQUEST_NAME_FILTERS, requestsListQuery } from '../api/page-queries.ts'
import { useRequests, useTenants } from '../api/queries.ts'
import { href, Link, navigate } from '../app/router.tsx'
import { sharedParams, useSearchParams } from '../app/url-state.ts'
import { PageHeader } from '../components/PageHeader.tsx'
import { RequestRangeFilters, ValuesFilter } from '../components/RequestFilters.tsx'
import { ErrorState, Loading, Empty } from '../components/States.tsx'
import { formatCount, formatMs, formatNsDate, formatScore, formatUsd } from '../lib/format.ts'

const ROW_HEIGHT = 30
/** Ask for the next page when the last rendered row is this close to the end of what is loaded. */
const PREFETCH_ROWS = 30

const LABELS: Record<(typeof REQUEST_NAME_FILTERS)[number] | 'tenant', string> = {
  tenant: 'Tenant',
  route: 'Route',
  model: 'Model',
  provider: 'Provider',
  user: 'User',
  session: 'Session',
  tag: 'Tag',
}

/** The values of one column among the loaded rows, as suggestions for its filter. */
function valuesOf(rows: RequestRow[], param: keyof typeof LABELS): string[] {
  const pick: Record<keyof typeof LABELS, (r: RequestRow) => string[]> = {
    tenant: (r) => [r.tenant_id],
    route: (r) => [r.route],
    model: (r) => [r.model],
    provider: (r) => [r.provider],
    user: (r) => [r.user_id],
    session: (r) => [r.session_id],
    tag: (r) => r.tags,
  }
  const out = new Set<string>()
  for (const r of rows) for (const v of pick[param](r)) if (v && out.size < 50) out.add(v)
  return [...out].sort()
}

const traceLink = (r: RequestRow, params: URLSearchParams) =>
  href(`/traces/${r.trace_id}`, { ...sharedParams(params), tenant: r.tenant_id, span: r.span_id })

export default function RequestsPage() {
  const [params, update] = useSearchParams()
  const tenants = useTenants()
  const admin = tenants.data?.admin !== false
  const query = requestsListQuery(params, admin)
  const requests = useRequests(query)
  const rows = useMemo(() => requests.data?.pages.flatMap((p) => p.requests) ?? [], [requests.data])
  const filters = admin ? (['tenant', ...REQUEST_NAME_FILTERS] as const) : REQUEST_NAME_FILTERS

  return (
    <section className="requests-page">
      <PageHeader title="Requests" />
      <div className="values-filters" aria-label="Name filters">
        {filters.map((p) => (
          <ValuesFilter
            key={p}
            param={p}
            label={LABELS[p]}
            values={params.getAll(p)}
            suggestions={valuesOf(rows, p)}
            update={update}
          />
        ))}
      </div>
      <RequestRangeFilters params={params} update={update} />
      {requests.error ? (
        <ErrorState error={requests.error} what="requests" />
      ) : requests.isPending ? (
        <Loading what="requests" />
      ) : rows.length === 0 ? (
        <Empty>No requests match these filters in this time range.</Empty>
      ) : (
        <RequestTable
          rows={rows}
          params={params}
          hasMore={requests.hasNextPage}
          loadingMore={requests.isFetchingNextPage}
          stale={requests.isPlaceholderData}
          loadMore={() => void requests.fetchNextPage()}
        />
      )}
    </section>
  )
}

function RequestTable({
  rows,
  params,
  hasMore,
  loadingMore,
  stale,
  loadMore,
}: {
  rows: RequestRow[]
  params: URLSearchParams
  hasMore: boolean
  loadingMore: boolean
  stale: boolean
  loadMore(): void
}) {
  const scroller = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  })
  const items = virtualizer.getVirtualItems()
  const lastIndex = items[items.length - 1]?.index ?? 0
  useEffect(() => {
    if (hasMore && !loadingMore && !stale && lastIndex >= rows.length - PREFETCH_ROWS) loadMore()
  }, [hasMore, loadingMore, stale, lastIndex, rows.length, loadMore])

  return (
    <div
      className={`request-table ${stale ? 'stale' : ''}`}
      role="table"
      aria-label="Requests"
      aria-rowcount={rows.length}
      data-testid="requests-table"
    >
      <div className="request-row request-head" role="row">
        {[
          'Time (UTC)',
          'Tenant',
          'Route',
          'Model / provider',
          'Status',
          'Latency',
          'TTFT',
          'Tokens in / out',
          'Cost',
          'Scores',
          'User',
          'Session',
          'Tags',
        ].map((h) => (
          <span key={h} role="columnheader">
            {h}
          </span>
        ))}
      </div>
      <div ref={scroller} className="request-body" data-testid="requests-scroller">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const r = rows[item.index]!
            const to = traceLink(r, params)
            return (
              <div
                key={`${r.tenant_id}/${r.trace_id}/${r.span_id}`}
                role="row"
                aria-rowindex={item.index + 1}
                className={`request-row ${r.status === 'error' ? 'is-error' : ''}`}
                data-span-id={r.span_id}
                data-trace-id={r.trace_id}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_HEIGHT,
                  transform: `translateY(${item.start}px)`,
                }}
                onClick={(e) => {
                  if (!(e.target instanceof HTMLAnchorElement)) navigate(to)
                }}
              >
                <span role="cell">
                  <Link to={to}>{formatNsDate(r.start_ns)}</Link>
                </span>
                <span role="cell" data-col="tenant">
                  {r.tenant_id}
                </span>
                <span role="cell" data-col="route">
                  {r.route || <span className="muted">—</span>}
                </span>
                <span role="cell" data-col="model" title={r.target}>
                  {r.model} <span className="muted">{r.provider}</span>
                </span>
                <span role="cell" data-col="status" title={r.status_message}>
                  <span className={`status-tag status-${r.status}`}>{r.status}</span>
                </span>
                <span role="cell" className="num" data-col="latency">
                  {formatMs(r.duration_ms)}
                </span>
                <span role="cell" className="num" data-col="ttft">
                  {formatMs(r.ttft_ms)}
                </span>
                <span role="cell" className="num" data-col="tokens">
                  {formatCount(r.input_tokens)} / {formatCount(r.output_tokens)}
                </span>
                <span role="cell" className="num" data-col="cost" data-cost={r.cost_usd}>
                  {formatUsd(r.cost_usd)}
                </span>
                <span role="cell" data-col="scores">
                  {r.scores.map((s) => (
                    <span
                      key={s.name}
                      className={`score-chip ${s.status === 'failed' ? 'failed' : ''}`}
                      title={s.label || s.status}
                    >
                      {s.name} {s.data_type === 'categorical' ? s.label : formatScore(s.value)}
                    </span>
                  ))}
                </span>
                <span role="cell" data-col="user">
                  {r.user_id || <span className="muted">—</span>}
                </span>
                <span role="cell" data-col="session">
                  {r.session_id || <span className="muted">—</span>}
                </span>
                <span role="cell" data-col="tags">
                  {r.tags.map((t) => (
                    <span key={t} className="tag-chip">
                      {t}
                    </span>
                  ))}
                </span>
              </div>
            )
          })}
        </div>
      </div>
      <div className="request-foot muted" data-testid="requests-foot">
        {formatCount(rows.length)} requests loaded
        {loadingMore ? ' · loading more…' : hasMore ? ' · more as you scroll' : ' · all shown'}
      </div>
    </div>
  )
}
