import type { RoutingAuditEntry, RoutingRoute } from '../api/client.ts'
import { formatDate } from '../lib/format.ts'

const weightsOf = (r: RoutingRoute) =>
  r.targets.map((t) => `${t.id ?? `${t.provider}/${t.model}`} ${(t.weight ?? 1).toString()}`).join(', ')

/** The routes whose weights an entry changed (every route of the oldest entry shown). */
function changedRoutes(entry: RoutingAuditEntry, previous: RoutingAuditEntry | undefined): RoutingRoute[] {
  if (!previous) return entry.routes
  const before = new Map(previous.routes.map((r) => [r.name, weightsOf(r)]))
  return entry.routes.filter((r) => before.get(r.name) !== weightsOf(r))
}

/**
 * Routing table versions written by people (the gateway's audit trail, the optimizer's own pushes
 * left out: they are the decisions beside this list), newest first, with who, why and the weights.
 */
export function RoutingChanges({ entries, route }: { entries: RoutingAuditEntry[]; route?: string }) {
  const rows = entries
    .map((e, i) => ({ e, changed: changedRoutes(e, entries[i + 1]) }))
    .filter(({ e }) => e.author !== 'optimizer')
    .map(({ e, changed }) => ({ e, changed: route ? changed.filter((r) => r.name === route) : changed }))
    .filter(({ changed }) => changed.length > 0)
  if (rows.length === 0) return <p className="muted">No routing changes by people{route ? ` on ${route}` : ''}.</p>
  return (
    <table className="data" data-testid="routing-changes">
      <thead>
        <tr>
          <th>At (UTC)</th>
          <th>Version</th>
          <th>Author</th>
          <th>Reason</th>
          <th>Weights after</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ e, changed }) => (
          <tr key={e.version} data-version={e.version}>
            <td>{formatDate(new Date(e.at))}</td>
            <td>
              {e.previousVersion} → {e.version}
            </td>
            <td>{e.author}</td>
            <td className="reason">{e.reason || '—'}</td>
            <td className="weights">
              {changed.map((r) => (
                <div key={r.name}>
                  {r.name}: {weightsOf(r)}
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
