import { useTenants } from '../api/queries.ts'
import { useSearchParams } from '../app/url-state.ts'

/** Admin: choose one tenant or all. Tenant key: shows only its own tenant (from /api/tenants), nothing else. */
export function TenantPicker() {
  const tenants = useTenants()
  const [params, update] = useSearchParams()
  if (!tenants.data) return null
  if (!tenants.data.admin)
    return (
      <span className="tenant-badge" data-testid="tenant-badge">
        tenant: {tenants.data.tenants[0]}
      </span>
    )
  return (
    <label className="tenant-picker">
      tenant{' '}
      <select
        aria-label="Tenant"
        value={params.get('tenant') ?? ''}
        onChange={(e) => update({ tenant: e.target.value, cursor: null })}
      >
        <option value="">all tenants</option>
        {tenants.data.tenants.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
    </label>
  )
}

/** The tenant filter to send: only admins may narrow; a tenant key is narrowed by the API itself. */
export function useTenantFilter(): string | undefined {
  const [params] = useSearchParams()
  const tenants = useTenants()
  return tenants.data?.admin ? params.get('tenant') || undefined : undefined
}
