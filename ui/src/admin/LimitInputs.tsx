import type { AdminLimits } from '../api/client.ts'
import type { LimitFields } from './limits.ts'

const FIELDS: { key: keyof LimitFields; label: string; group: 'budgets' | 'rateLimits'; placeholder: string }[] = [
  { key: 'usdPerDay', label: 'USD per day', group: 'budgets', placeholder: 'e.g. 5.00' },
  { key: 'usdPerMonth', label: 'USD per month', group: 'budgets', placeholder: 'e.g. 100' },
  { key: 'rpm', label: 'Requests per minute', group: 'rateLimits', placeholder: 'e.g. 60' },
  { key: 'tpm', label: 'Tokens per minute', group: 'rateLimits', placeholder: 'e.g. 100000' },
]

/** Budget and rate-limit inputs; a field the configuration declares is shown read-only. */
export function LimitInputs({
  value,
  onChange,
  config = {},
}: {
  value: LimitFields
  onChange(v: LimitFields): void
  config?: AdminLimits
}) {
  return (
    <div className="limit-inputs">
      {FIELDS.map((f) => {
        const declared = (config[f.group] as Record<string, unknown> | undefined)?.[f.key]
        return (
          <label key={f.key}>
            {f.label}
            <input
              aria-label={f.label}
              value={declared !== undefined ? String(declared) : value[f.key]}
              disabled={declared !== undefined}
              title={declared !== undefined ? 'declared in the configuration: change it there' : undefined}
              placeholder={f.placeholder}
              inputMode="decimal"
              onChange={(e) => onChange({ ...value, [f.key]: e.target.value })}
            />
            {declared !== undefined ? <span className="muted"> (config)</span> : null}
          </label>
        )
      })}
    </div>
  )
}
