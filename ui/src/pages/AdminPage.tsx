import { useState } from 'react'
import { useAdminKeys, useKeyAudit, useMyKeys, useRoutingTable } from '../api/admin-queries.ts'
import { useTenants } from '../api/queries.ts'
import { CreateKeyForm } from '../admin/CreateKeyForm.tsx'
import { KeyAuditList } from '../admin/KeyAuditList.tsx'
import { KeysTable } from '../admin/KeysTable.tsx'
import { LimitsForm } from '../admin/LimitsForm.tsx'
import { RouteWeightsForm } from '../admin/RouteWeightsForm.tsx'
import { describeLimits } from '../admin/limits.ts'
import { Loading, QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { formatUsd } from '../lib/format.ts'

/**
 * Admin token: virtual keys (create, revoke), budgets and rate limits per tenant and key, route
 * weights with a reason, and the audit trail, all through the collector's relay to the gateway.
 * Tenant read key: its own keys' limits and spend, read-only; no admin control is rendered.
 */
export default function AdminPage() {
  const tenants = useTenants()
  if (!tenants.data) return <Loading what="your access" />
  return tenants.data.admin ? <AdminConsole /> : <TenantKeys />
}

function AdminConsole() {
  const keys = useAdminKeys(true)
  const audit = useKeyAudit(true)
  const table = useRoutingTable(true)
  const tenant = useTenantFilter()
  const [limitsTarget, setLimitsTarget] = useState('')
  return (
    <section data-testid="admin-console">
      <div className="page-header">
        <h1>Admin</h1>
      </div>
      <p className="muted">
        Changes go to the gateway&apos;s admin API, apply on every replica from the next request, and are kept in its
        audit trail.
      </p>
      <h2>Virtual keys</h2>
      <QueryView
        query={keys}
        what="virtual keys"
        isEmpty={(d) => d.keys.length === 0 && d.tenants.length === 0}
        empty="No keys yet: create one below."
      >
        {(data) => (
          <KeysTable
            keys={data.keys.filter((k) => !tenant || k.tenant === tenant)}
            onEditLimits={(k) => setLimitsTarget(`${k.tenant}/${k.id}`)}
          />
        )}
      </QueryView>
      <CreateKeyForm
        tenants={keys.data?.tenants.map((t) => t.tenant) ?? []}
        routes={table.data?.routes.map((r) => r.name) ?? []}
      />
      {keys.data ? <LimitsForm list={keys.data} target={limitsTarget} onTarget={setLimitsTarget} /> : null}
      <h2>Routes</h2>
      <QueryView
        query={table}
        what="the routing table"
        isEmpty={(d) => d.routes.length === 0}
        empty="The gateway serves no routes."
      >
        {(data) => <RouteWeightsForm table={data} />}
      </QueryView>
      <h2>Audit trail: keys and limits</h2>
      <QueryView query={audit} what="audit entries" isEmpty={(d) => d.entries.length === 0} empty="No changes yet.">
        {(data) => <KeyAuditList entries={data.entries} />}
      </QueryView>
    </section>
  )
}

function TenantKeys() {
  const mine = useMyKeys(true)
  return (
    <section data-testid="tenant-keys">
      <div className="page-header">
        <h1>Keys</h1>
      </div>
      <p className="muted">
        Your tenant&apos;s virtual keys with their limits and spend (read-only: the operator manages keys and limits).
      </p>
      <QueryView query={mine} what="keys" isEmpty={(d) => d.keys.length === 0} empty="Your tenant has no virtual keys.">
        {(data) => (
          <>
            {data.tenants.map((t) => (
              <p key={t.tenant} data-testid="tenant-spend">
                Tenant {t.tenant}: limits {describeLimits(t.limits)}; spent {formatUsd(t.spend.today)} today,{' '}
                {formatUsd(t.spend.thisMonth)} this month.
              </p>
            ))}
            <KeysTable keys={data.keys.map((k) => ({ ...k, source: 'api', configLimits: {} }))} />
          </>
        )}
      </QueryView>
    </section>
  )
}
