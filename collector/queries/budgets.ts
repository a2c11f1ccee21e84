// Tenant spend for budgets, from the hourly usage rollup.
import type { Store } from '../storage/store.ts'
import { runQuery } from './run.ts'

const unix = (d: Date) => Math.floor(d.getTime() / 1000)

/** Each tenant's exact spend in a day and in the month containing it; one scan of the month's rollup. */
export function tenantSpend(
  store: Store,
  tenants: string[],
  day: { start: Date; end: Date },
  month: { start: Date; end: Date },
) {
  return runQuery<{ tenant_id: string; day: string; month: string }>(
    store,
    'budgets.spend',
    `SELECT tenant_id,
        toString(sumIf(cost_usd, hour >= toDateTime({day_start:UInt32}) AND hour < toDateTime({day_end:UInt32}))) AS day,
        toString(sum(cost_usd)) AS month
     FROM ${store.table('usage_hourly')}
     WHERE tenant_id IN {tenants:Array(String)}
       AND hour >= toDateTime({month_start:UInt32}) AND hour < toDateTime({month_end:UInt32})
     GROUP BY tenant_id`,
    {
      tenants,
      day_start: unix(day.start),
      day_end: unix(day.end),
      month_start: unix(month.start),
      month_end: unix(month.end),
    },
  )
}
