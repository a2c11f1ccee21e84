import type { KeyAuditEntry } from '../api/client.ts'
import { formatDate } from '../lib/format.ts'
import { describeLimits } from './limits.ts'

const ACTIONS: Record<KeyAuditEntry['action'], string> = {
  'key.create': 'key created',
  'key.revoke': 'key revoked',
  'key.limits': 'key limits set',
  'tenant.limits': 'tenant limits set',
}

function what(e: KeyAuditEntry): string {
  const limits = e.change.limits as Parameters<typeof describeLimits>[0] | undefined
  return limits ? describeLimits(limits) : ''
}

/** Who changed which key or tenant, when and why (the gateway's audit trail, newest first). */
export function KeyAuditList({ entries }: { entries: KeyAuditEntry[] }) {
  return (
    <table className="data" data-testid="key-audit">
      <thead>
        <tr>
          <th>At</th>
          <th>Change</th>
          <th>Tenant</th>
          <th>Key</th>
          <th>Limits</th>
          <th>Author</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.version}>
            <td>{formatDate(new Date(e.at))}</td>
            <td>{ACTIONS[e.action] ?? e.action}</td>
            <td>{e.tenant}</td>
            <td>{e.key ? <code>{e.key}</code> : '—'}</td>
            <td>{what(e)}</td>
            <td>{e.author}</td>
            <td className="reason">{e.reason || '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
