import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { USD_SCALE, formatScaled, usdUnits } from '../../lib/money.ts'
import type { CollectorDeps } from '../deps.ts'
import { tenantSpend } from '../queries/budgets.ts'
import { TenantScope } from './caller.ts'
import type { BudgetList, BudgetPeriod, BudgetStatus } from './types.ts'
import { jsonSchema, name, parse } from './validate.ts'

const query = z.object({ tenant: name().optional() })

/** The UTC calendar day and month containing `now`, as the gateway counts them. */
function budgetPeriods(now: Date): Record<BudgetPeriod, { start: Date; end: Date }> {
  const y = now.getUTCFullYear()
  const m = now.getUTCMonth()
  const d = now.getUTCDate()
  return {
    day: { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) },
    month: { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) },
  }
}

const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z')

function status(tenant: string, period: BudgetPeriod, limit: string, spentUsd: string, end: Date): BudgetStatus {
  const limitUnits = usdUnits(limit)
  const spent = usdUnits(spentUsd)
  const remaining = limitUnits > spent ? limitUnits - spent : 0n
  // Ratio to 6 decimals from exact integers; a zero limit is exhausted from the start (the gateway refuses everything).
  const ratio = limitUnits === 0n ? 1 : Number((spent * 1_000_000n) / limitUnits) / 1_000_000
  return {
    tenant_id: tenant,
    period,
    limit_usd: formatScaled(limitUnits, USD_SCALE),
    spent_usd: formatScaled(spent, USD_SCALE),
    remaining_usd: formatScaled(remaining, USD_SCALE),
    used_ratio: ratio,
    resets_at: iso(end),
  }
}

export async function budgets(deps: CollectorDeps, scope: TenantScope, now = new Date()): Promise<BudgetList> {
  const tenants = deps.tenants.filter(
    (t) =>
      (scope.tenant === null || t.id === scope.tenant) &&
      (t.budgets?.usdPerDay !== undefined || t.budgets?.usdPerMonth !== undefined),
  )
  if (tenants.length === 0) return { budgets: [] }
  const p = budgetPeriods(now)
  const rows = await tenantSpend(
    deps.store,
    tenants.map((t) => t.id),
    p.day,
    p.month,
  )
  const spent = new Map(rows.map((r) => [r.tenant_id, r]))
  const out: BudgetStatus[] = []
  for (const t of [...tenants].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const s = spent.get(t.id)
    if (t.budgets?.usdPerDay !== undefined) out.push(status(t.id, 'day', t.budgets.usdPerDay, s?.day ?? '0', p.day.end))
    if (t.budgets?.usdPerMonth !== undefined)
      out.push(status(t.id, 'month', t.budgets.usdPerMonth, s?.month ?? '0', p.month.end))
  }
  return { budgets: out }
}

export function registerBudgets(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/budgets',
    {
      schema: {
        summary:
          'Each configured tenant budget (UTC day / month): limit, exact spend so far, remaining, share used and reset time',
        tags: ['budgets'],
        querystring: jsonSchema(query),
      },
    },
    async (req): Promise<BudgetList> => {
      const q = parse(query, req.query, 'query')
      return budgets(deps, TenantScope.of(req, q.tenant))
    },
  )
}
