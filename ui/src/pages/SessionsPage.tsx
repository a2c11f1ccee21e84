import { useState, type FormEvent } from 'react'
import { sessionsListQuery } from '../api/page-queries.ts'
import { useSessions } from '../api/queries.ts'
import { href, Link } from '../app/router.tsx'
import { sharedParams, useSearchParams } from '../app/url-state.ts'
import { PageHeader } from '../components/PageHeader.tsx'
import { ScoreSummaryCell } from '../components/ScoreSummaryCell.tsx'
import { QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { formatCount, formatMs, formatNsDate, formatUsd } from '../lib/format.ts'

export default function SessionsPage() {
  const [params, update] = useSearchParams()
  const tenant = useTenantFilter()
  const q = params.get('q') ?? ''
  const cursor = params.get('cursor') ?? undefined
  const page = Number(params.get('page') ?? '1') || 1
  const [draft, setDraft] = useState(q)
  const sessions = useSessions(sessionsListQuery(params, tenant))

  const search = (event: FormEvent) => {
    event.preventDefault()
    update({ q: draft.trim(), cursor: null, page: null })
  }
  const nextCursor = sessions.data?.next_cursor

  return (
    <section>
      <PageHeader title="Sessions" />
      <form className="filters" onSubmit={search} role="search">
        <input
          aria-label="Search sessions"
          placeholder="session or user id contains…"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit">Search</button>
        {params.get('user') ? (
          <button type="button" onClick={() => update({ user: null, cursor: null, page: null })}>
            user = {params.get('user')} ✕
          </button>
        ) : null}
      </form>
      <QueryView
        query={sessions}
        what="sessions"
        isEmpty={(d) => d.sessions.length === 0}
        empty={q ? `No sessions match “${q}” in this time range.` : undefined}
      >
        {(data) => (
          <>
            <table className="data" data-testid="sessions-table">
              <thead>
                <tr>
                  <th>Session</th>
                  <th>User</th>
                  <th>Tenant</th>
                  <th>Start (UTC)</th>
                  <th>Duration</th>
                  <th className="num">Traces</th>
                  <th className="num">Cost</th>
                  <th className="num">Tokens in / out</th>
                  <th>Scores</th>
                </tr>
              </thead>
              <tbody>
                {data.sessions.map((s) => (
                  <tr key={`${s.tenant_id}/${s.session_id}`} data-session={s.session_id}>
                    <td>
                      <Link
                        to={href(`/sessions/${encodeURIComponent(s.session_id)}`, {
                          ...sharedParams(params),
                          tenant: tenant ?? null,
                        })}
                      >
                        {s.session_id}
                      </Link>
                    </td>
                    <td>
                      {s.user_id ? (
                        <Link to={href('/sessions', { ...sharedParams(params), user: s.user_id })}>{s.user_id}</Link>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>{s.tenant_id}</td>
                    <td>{formatNsDate(s.start_ns)}</td>
                    <td>{formatMs(s.duration_ms)}</td>
                    <td className="num">{formatCount(s.traces)}</td>
                    <td className="num" data-cost={s.cost_usd}>
                      {formatUsd(s.cost_usd)}
                    </td>
                    <td className="num">
                      {formatCount(s.input_tokens)} / {formatCount(s.output_tokens)}
                    </td>
                    <td>
                      <ScoreSummaryCell summary={s.scores} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="pager">
              <button type="button" disabled={!cursor} onClick={() => update({ cursor: null, page: null })}>
                Newest
              </button>
              <span>page {page}</span>
              <button
                type="button"
                disabled={!nextCursor}
                onClick={() => update({ cursor: nextCursor, page: String(page + 1) })}
              >
                Older →
              </button>
            </div>
          </>
        )}
      </QueryView>
    </section>
  )
}
