import type { BudgetStatus } from '../api/client.ts'
import { useBudgets } from '../api/queries.ts'
import { formatPercent, formatUsd } from '../lib/format.ts'
import { QueryView } from './States.tsx'

/** Each tenant's budgets for the current UTC day / month (not the page's time range): spent vs limit. */
export function BudgetsSection({ tenant }: { tenant: string | undefined }) {
  const budgets = useBudgets(tenant)
  return (
    <>
      <h2>
        Budgets <span className="muted budget-note">current UTC day and month</span>
      </h2>
      <QueryView
        query={budgets}
        what="budgets"
        isEmpty={(d) => d.budgets.length === 0}
        empty="No budgets are configured (tenants[].budgets in loopgate.yaml)."
      >
        {(data) => <BudgetTable budgets={data.budgets} />}
      </QueryView>
    </>
  )
}

function BudgetTable({ budgets }: { budgets: BudgetStatus[] }) {
  return (
    <table className="data compact" data-testid="budgets">
      <thead>
        <tr>
          <th>Tenant</th>
          <th>Period</th>
          <th className="num">Spent</th>
          <th className="num">Limit</th>
          <th>Used</th>
          <th className="num">Remaining</th>
          <th>Resets at (UTC)</th>
        </tr>
      </thead>
      <tbody>
        {budgets.map((b) => (
          <tr key={`${b.tenant_id}/${b.period}`} data-tenant={b.tenant_id} data-period={b.period}>
            <td>{b.tenant_id}</td>
            <td>{b.period === 'day' ? 'per day' : 'per month'}</td>
            <td className="num" data-col="spent" data-usd={b.spent_usd}>
              {formatUsd(b.spent_usd)}
            </td>
            <td className="num" data-col="limit" data-usd={b.limit_usd}>
              {formatUsd(b.limit_usd)}
            </td>
            <td data-col="used">
              <UsageBar ratio={b.used_ratio} /> {formatPercent(b.used_ratio)}
            </td>
            <td className="num" data-col="remaining" data-usd={b.remaining_usd}>
              {formatUsd(b.remaining_usd)}
            </td>
            <td data-col="resets">{b.resets_at.replace('T', ' ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function UsageBar({ ratio }: { ratio: number }) {
  const level = ratio >= 1 ? 'over' : ratio >= 0.8 ? 'warn' : 'ok'
  return (
    <span
      className="budget-bar"
      role="meter"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(ratio * 100)}
      aria-label="Budget used"
    >
      <span className={`budget-fill ${level}`} style={{ width: `${Math.min(ratio, 1) * 100}%` }} />
    </span>
  )
}
