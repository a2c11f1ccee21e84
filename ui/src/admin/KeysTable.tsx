import { useState } from 'react'
import { useRevokeKey } from '../api/admin-queries.ts'
import type { AdminKey } from '../api/client.ts'
import { ErrorState } from '../components/States.tsx'
import { formatDate, formatUsd } from '../lib/format.ts'
import { describeLimits } from './limits.ts'

/** Every key with its limits and spend; admins revoke (with a reason) and pick one to edit its limits. */
export function KeysTable({ keys, onEditLimits }: { keys: AdminKey[]; onEditLimits?: (k: AdminKey) => void }) {
  const revoke = useRevokeKey()
  const [revoking, setRevoking] = useState<string | null>(null)
  const [reason, setReason] = useState('')
  const admin = onEditLimits !== undefined
  const rowId = (k: AdminKey) => `${k.tenant}/${k.id}`
  return (
    <>
      {revoke.error ? <ErrorState error={revoke.error} what="the revocation" /> : null}
      <table className="data" data-testid="keys">
        <thead>
          <tr>
            <th>Tenant</th>
            <th>Key</th>
            <th>Name</th>
            {admin ? <th>Source</th> : null}
            <th>Created</th>
            <th>Status</th>
            <th>Limits</th>
            <th className="num">Spend today</th>
            <th className="num">This month</th>
            {admin ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={rowId(k)} data-key={k.id} data-tenant={k.tenant}>
              <td>{k.tenant}</td>
              <td>
                <code>{k.id}</code>
              </td>
              <td>{k.name ?? '—'}</td>
              {admin ? <td>{k.source === 'config' ? 'config' : 'admin API'}</td> : null}
              <td>{k.createdAt ? formatDate(new Date(k.createdAt)) : '—'}</td>
              <td data-testid="key-status">
                {k.revokedAt ? `revoked ${formatDate(new Date(k.revokedAt))}` : 'active'}
              </td>
              <td>{describeLimits(k.limits)}</td>
              <td className="num" data-testid="spend-today">
                {formatUsd(k.spend.today)}
              </td>
              <td className="num">{formatUsd(k.spend.thisMonth)}</td>
              {admin ? (
                <td className="actions">
                  <button type="button" className="link-button" onClick={() => onEditLimits(k)}>
                    Limits
                  </button>
                  {k.revokedAt ? null : revoking === rowId(k) ? (
                    <span>
                      <input
                        aria-label="Revoke reason"
                        value={reason}
                        onChange={(e) => setReason(e.target.value)}
                        placeholder="reason"
                      />
                      <button
                        type="button"
                        disabled={revoke.isPending}
                        onClick={() =>
                          revoke.mutate(
                            { tenant: k.tenant, key: k.id, reason },
                            {
                              onSuccess: () => {
                                setRevoking(null)
                                setReason('')
                              },
                            },
                          )
                        }
                      >
                        Confirm revoke
                      </button>
                      <button type="button" className="link-button" onClick={() => setRevoking(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="link-button danger" onClick={() => setRevoking(rowId(k))}>
                      Revoke
                    </button>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
