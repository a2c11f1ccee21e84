import { useState, type FormEvent } from 'react'
import { useCreateKey } from '../api/admin-queries.ts'
import type { CreatedKey } from '../api/client.ts'
import { ErrorState } from '../components/States.tsx'
import { ReasonRow } from './ReasonRow.tsx'
import { LimitInputs } from './LimitInputs.tsx'
import { emptyFields, limitsOf } from './limits.ts'

/** Creates a virtual key; its secret is shown here once (the gateway keeps only its hash). */
export function CreateKeyForm({ tenants, routes }: { tenants: string[]; routes: string[] }) {
  const create = useCreateKey()
  const [tenant, setTenant] = useState('')
  const [name, setName] = useState('')
  const [allowed, setAllowed] = useState('')
  const [limits, setLimits] = useState(emptyFields)
  const [reason, setReason] = useState('')
  const [created, setCreated] = useState<CreatedKey | null>(null)

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const routeList = allowed
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean)
    create.mutate(
      {
        tenant: tenant.trim(),
        request: {
          ...(name.trim() ? { name: name.trim() } : {}),
          ...(routeList.length ? { routes: routeList } : {}),
          ...limitsOf(limits),
          reason,
        },
      },
      {
        onSuccess: (r) => {
          setCreated(r)
          setName('')
          setReason('')
          setLimits(emptyFields)
        },
      },
    )
  }

  return (
    <form className="admin-form" onSubmit={submit} aria-label="Create a key">
      <h3>Create a key</h3>
      <div className="form-row">
        <label>
          Tenant
          <input
            aria-label="Key tenant"
            list="admin-tenants"
            value={tenant}
            required
            onChange={(e) => setTenant(e.target.value)}
            placeholder="tenant id"
          />
          <datalist id="admin-tenants">
            {tenants.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Name
          <input
            aria-label="Key name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="optional, e.g. support-bot"
          />
        </label>
        <label>
          Routes
          <input
            aria-label="Key routes"
            value={allowed}
            onChange={(e) => setAllowed(e.target.value)}
            placeholder={`all (or: ${routes.slice(0, 2).join(', ') || 'route names'})`}
          />
        </label>
      </div>
      <LimitInputs value={limits} onChange={setLimits} />
      <ReasonRow
        label="Create reason"
        value={reason}
        onChange={setReason}
        submit="Create key"
        pending={create.isPending}
      />
      {create.error ? <ErrorState error={create.error} what="the new key" /> : null}
      {created ? (
        <div className="secret-once" role="status" data-testid="new-key">
          <strong>
            Key {created.key.id} created for tenant {created.key.tenant}.
          </strong>{' '}
          Copy the secret now: it is shown only this once.
          <code data-testid="new-secret">{created.secret}</code>
          <button type="button" className="link-button" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      ) : null}
    </form>
  )
}
