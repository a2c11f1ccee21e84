import { useEffect, useState, type FormEvent } from 'react'
import { usePutRouting } from '../api/admin-queries.ts'
import type { RoutingTableView, RoutingTarget } from '../api/client.ts'
import { ErrorState } from '../components/States.tsx'

const targetId = (t: RoutingTarget) => t.id ?? `${t.provider}/${t.model}`

/**
 * Edits the weights of one route's targets and saves a new routing table version with a reason
 * (PUT /admin/routing through the collector, with the version read, so a concurrent change is a 409
 * instead of being overwritten). Targets themselves come from the configuration.
 */
export function RouteWeightsForm({ table }: { table: RoutingTableView }) {
  const put = usePutRouting()
  const [routeName, setRouteName] = useState(table.routes[0]?.name ?? '')
  const route = table.routes.find((r) => r.name === routeName)
  const [weights, setWeights] = useState<Record<string, string>>({})
  const [reason, setReason] = useState('')
  const [saved, setSaved] = useState<number | null>(null)
  useEffect(() => {
    setWeights(Object.fromEntries((route?.targets ?? []).map((t) => [targetId(t), String(t.weight ?? 1)])))
    // A new version or another route: start from what the gateway serves.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [routeName, table.version])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const routes = table.routes.map((r) =>
      r.name !== routeName
        ? r
        : { ...r, targets: r.targets.map((t) => ({ ...t, weight: Number(weights[targetId(t)] ?? t.weight ?? 1) })) },
    )
    put.mutate(
      { routes, expectedVersion: table.version, reason },
      {
        onSuccess: (r) => {
          setSaved(r.version)
          setReason('')
        },
      },
    )
  }

  return (
    <form className="admin-form" onSubmit={submit} aria-label="Route weights">
      <h3>Route weights</h3>
      <div className="form-row">
        <label>
          Route
          <select aria-label="Edit route" value={routeName} onChange={(e) => setRouteName(e.target.value)}>
            {table.routes.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">serving version {table.version}</span>
      </div>
      <div className="limit-inputs">
        {(route?.targets ?? []).map((t) => (
          <label key={targetId(t)}>
            {targetId(t)}
            <input
              aria-label={`Weight of ${targetId(t)}`}
              value={weights[targetId(t)] ?? ''}
              inputMode="decimal"
              onChange={(e) => setWeights({ ...weights, [targetId(t)]: e.target.value })}
            />
          </label>
        ))}
      </div>
      <div className="form-row">
        <label className="grow">
          Reason
          <input
            aria-label="Routing reason"
            value={reason}
            required
            onChange={(e) => setReason(e.target.value)}
            placeholder="why (shown on the Routes page)"
          />
        </label>
        <button type="submit" disabled={put.isPending || !reason.trim()}>
          Save weights
        </button>
      </div>
      {put.error ? <ErrorState error={put.error} what="the routing table" /> : null}
      {saved !== null && !put.error ? (
        <span role="status" className="muted">
          Saved as version {saved}.
        </span>
      ) : null}
    </form>
  )
}
