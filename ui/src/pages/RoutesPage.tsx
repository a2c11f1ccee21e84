import type { RoutingDecision } from '../api/client.ts'
import { useRoutingAudit } from '../api/admin-queries.ts'
import { useDecisions, useRouteStats, useTenants } from '../api/queries.ts'
import { useSearchParams } from '../app/url-state.ts'
import { DecisionList } from '../components/DecisionList.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { RouteStatsTable } from '../components/RouteStatsTable.tsx'
import { RoutingChanges } from '../components/RoutingChanges.tsx'
import { Empty, QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { WeightsChart } from '../components/WeightsChart.tsx'
import { resolveRange, toApiTime, useXRange } from '../lib/time-range.ts'

export default function RoutesPage() {
  const [params, update] = useSearchParams()
  const tenant = useTenantFilter()
  const tenants = useTenants()
  const isAdmin = tenants.data?.admin === true
  const range = resolveRange(params)
  const route = params.get('route') || undefined
  const score = params.get('score') || undefined
  const from = toApiTime(range.from)
  const to = toApiTime(range.to)
  const xRange = useXRange(range)
  const stats = useRouteStats({ from, to, tenant, route, score })
  const decisions = useDecisions({ from, to, route, limit: 1000 }, isAdmin)
  const changes = useRoutingAudit(isAdmin)
  // Every score name with quality data (the answer holds all of them, whichever one `score` picks).
  const scoreNames = [...new Set(stats.data?.stats.flatMap((s) => Object.keys(s.quality)) ?? [])].sort()
  const routes = [
    ...new Set([
      ...(stats.data?.stats.map((s) => s.route) ?? []),
      ...(decisions.data?.decisions.map((d) => d.route) ?? []),
    ]),
  ].sort()

  return (
    <section>
      <PageHeader title="Routes">
        <label>
          route{' '}
          <select aria-label="Route" value={route ?? ''} onChange={(e) => update({ route: e.target.value })}>
            <option value="">all routes</option>
            {routes.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          quality{' '}
          <select aria-label="Quality score" value={score ?? ''} onChange={(e) => update({ score: e.target.value })}>
            <option value="">all scores</option>
            {[...new Set([...scoreNames, ...(score ? [score] : [])])].sort().map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </PageHeader>
      <h2>Targets</h2>
      <QueryView
        query={stats}
        what="route statistics"
        isEmpty={(d) => d.stats.length === 0}
        empty="No routed requests in this time range."
      >
        {(data) => (
          <RouteStatsTable
            stats={data.stats}
            weights={isAdmin ? latestWeights(decisions.data?.decisions ?? []) : null}
          />
        )}
      </QueryView>
      <h2>Weights and decisions</h2>
      {tenants.data && !isAdmin ? (
        <Empty>
          <span data-testid="admin-only">
            Routing decisions are admin only: sign in with the admin token to see weights over time and why they moved.
          </span>
        </Empty>
      ) : (
        <>
          <QueryView
            query={decisions}
            what="routing decisions"
            isEmpty={(d) => d.decisions.length === 0}
            empty="No routing decisions in this time range."
          >
            {(data) => <DecisionsByRoute decisions={data.decisions} xRange={xRange} />}
          </QueryView>
          <h2>Admin changes</h2>
          <QueryView query={changes} what="admin routing changes">
            {(data) => <RoutingChanges entries={data.entries} route={route} />}
          </QueryView>
        </>
      )}
    </section>
  )
}

function DecisionsByRoute({ decisions, xRange }: { decisions: RoutingDecision[]; xRange: [number, number] }) {
  const routes = [...new Set(decisions.map((d) => d.route))].sort()
  return (
    <>
      {routes.map((route) => {
        const mine = decisions.filter((d) => d.route === route)
        return (
          <div key={route} className="route-decisions" data-route={route}>
            <WeightsChart route={route} decisions={mine} xRange={xRange} />
            <DecisionList decisions={mine} />
          </div>
        )
      })}
    </>
  )
}

/** route → target → weight after the newest applied decision. */
function latestWeights(decisions: RoutingDecision[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>()
  const newestFirst = [...decisions].sort((a, b) => (BigInt(a.created_at_ns) > BigInt(b.created_at_ns) ? -1 : 1))
  for (const d of newestFirst) if (d.applied && !d.dry_run && !out.has(d.route)) out.set(d.route, d.new_weights)
  return out
}
