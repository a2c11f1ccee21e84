import { useEffect, useState, type FormEvent } from 'react'
import { useSetLimits } from '../api/admin-queries.ts'
import type { AdminKeyList } from '../api/client.ts'
import { ErrorState } from '../components/States.tsx'
import { ReasonRow } from './ReasonRow.tsx'
import { LimitInputs } from './LimitInputs.tsx'
import { describeLimits, fieldsOf, limitsOf } from './limits.ts'

/** `tenant` or `tenant/keyId`. */
export type LimitsTarget = string

/**
 * Budgets and rate limits of one tenant (every key of it together) or one key. Saving replaces the
 * runtime limits of that scope; what the configuration declares stays as it is.
 */
export function LimitsForm({
  list,
  target,
  onTarget,
}: {
  list: AdminKeyList
  target: LimitsTarget
  onTarget(t: LimitsTarget): void
}) {
  const save = useSetLimits()
  const [tenantId, keyId] = target.split('/') as [string, string | undefined]
  const key = keyId ? list.keys.find((k) => k.tenant === tenantId && k.id === keyId) : undefined
  const tenant = list.tenants.find((t) => t.tenant === tenantId)
  const scope = key ?? tenant
  const [fields, setFields] = useState(fieldsOf(scope?.limits ?? {}))
  const [reason, setReason] = useState('')
  const [saved, setSaved] = useState(false)
  useEffect(() => {
    setFields(fieldsOf(scope?.limits ?? {}))
    setSaved(false)
    // Only when another scope is chosen: a refetch must not wipe what is being typed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [target])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!tenantId) return
    save.mutate(
      { tenant: tenantId, key: keyId, request: { ...limitsOf(fields, scope?.configLimits), reason } },
      {
        onSuccess: () => {
          setSaved(true)
          setReason('')
        },
      },
    )
  }

  return (
    <form className="admin-form" onSubmit={submit} aria-label="Budgets and rate limits">
      <h3>Budgets and rate limits</h3>
      <div className="form-row">
        <label>
          Applies to
          <select aria-label="Limits scope" value={target} onChange={(e) => onTarget(e.target.value)}>
            <option value="">choose a tenant or key</option>
            {list.tenants.map((t) => (
              <optgroup key={t.tenant} label={t.tenant}>
                <option value={t.tenant}>tenant {t.tenant} (all its keys)</option>
                {list.keys
                  .filter((k) => k.tenant === t.tenant)
                  .map((k) => (
                    <option key={k.id} value={`${k.tenant}/${k.id}`}>
                      key {k.name ? `${k.name} (${k.id})` : k.id}
                    </option>
                  ))}
              </optgroup>
            ))}
          </select>
        </label>
        {scope ? (
          <span className="muted" data-testid="current-limits">
            now: {describeLimits(scope.limits)}
          </span>
        ) : null}
      </div>
      {scope ? (
        <>
          <LimitInputs value={fields} onChange={setFields} config={scope.configLimits} />
          <ReasonRow
            label="Limits reason"
            value={reason}
            onChange={setReason}
            submit="Save limits"
            pending={save.isPending}
          />
          {save.error ? <ErrorState error={save.error} what="the limits" /> : null}
          {saved && !save.error ? (
            <span role="status" className="muted">
              Saved: applies from the next request on every gateway replica.
            </span>
          ) : null}
        </>
      ) : null}
    </form>
  )
}
