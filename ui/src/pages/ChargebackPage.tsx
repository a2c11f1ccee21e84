import { useState } from 'react'
import type { Chargeback, ChargebackGroup, ChargebackPeriod, ChargebackQuery, ChargebackUsage } from '../api/client.ts'
import { useChargeback } from '../api/queries.ts'
import { useClient } from '../app/auth.tsx'
import { useSearchParams } from '../app/url-state.ts'
import { BudgetsSection } from '../components/BudgetsSection.tsx'
import { ChargebackChart } from '../components/ChargebackChart.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { ParamSelect, paramChoice } from '../components/Select.tsx'
import { QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { downloadText } from '../lib/download.ts'
import { formatCount, formatUsd } from '../lib/format.ts'
import { periodFor } from '../lib/series.ts'
import { resolveRange, toApiTime } from '../lib/time-range.ts'

const PERIODS = ['day', 'hour', 'month'] as const satisfies readonly ChargebackPeriod[]
const GROUPS = ['route', 'model', 'provider', 'target'] as const satisfies readonly ChargebackGroup[]

export default function ChargebackPage() {
  const [params] = useSearchParams()
  const client = useClient()
  const tenant = useTenantFilter()
  const range = resolveRange(params)
  const defaultPeriod = periodFor(range.to.getTime() - range.from.getTime())
  const query: ChargebackQuery = {
    from: toApiTime(range.from),
    to: toApiTime(range.to),
    period: paramChoice(params, 'period', PERIODS, defaultPeriod),
    group: paramChoice(params, 'group', GROUPS, 'route'),
    tenant,
  }
  const report = useChargeback(query)
  const [exportError, setExportError] = useState<string | null>(null)
  const exportCsv = async () => {
    setExportError(null)
    try {
      const csv = await client.chargebackCsv(query)
      downloadText(
        `chargeback_${tenant ?? 'all'}_${query.period}_${query.group}_${query.from!.slice(0, 10)}_${query.to!.slice(0, 10)}.csv`,
        csv,
        'text/csv',
      )
    } catch (err) {
      setExportError((err as Error).message)
    }
  }

  return (
    <section>
      <PageHeader title="Chargeback">
        <ParamSelect param="period" label="Period" options={PERIODS} fallback={defaultPeriod} />
        <ParamSelect param="group" label="By" options={GROUPS} fallback="route" />
        <button type="button" onClick={exportCsv} disabled={!report.data}>
          Export CSV
        </button>
      </PageHeader>
      {exportError ? (
        <div className="state state-error" role="alert">
          CSV export failed: {exportError}
        </div>
      ) : null}
      <BudgetsSection tenant={tenant} />
      <h2>Usage</h2>
      <QueryView
        query={report}
        what="chargeback"
        isEmpty={(d) => d.rows.length === 0}
        empty="No billable requests in this time range."
      >
        {(data) => (
          <>
            <ChargebackChart report={data} />
            <ChargebackTable report={data} />
          </>
        )}
      </QueryView>
    </section>
  )
}

function UsageCells({ u }: { u: ChargebackUsage }) {
  return (
    <>
      <td className="num">{formatCount(u.requests)}</td>
      <td className="num">{formatCount(u.errors)}</td>
      <td className="num">{formatCount(u.input_tokens)}</td>
      <td className="num">{formatCount(u.output_tokens)}</td>
      <td className="num">{formatCount(u.cache_read_tokens)}</td>
      <td className="num">{formatCount(u.cache_write_tokens)}</td>
      <td className="num" data-cost={u.cost_usd}>
        {formatUsd(u.cost_usd)}
      </td>
      <td className="num" data-cache-hits={u.cache_hits}>
        {formatCount(u.cache_hits)}
      </td>
      <td className="num" data-saved={u.saved_usd}>
        {formatUsd(u.saved_usd)}
      </td>
    </>
  )
}

/** Rows grouped by tenant with the API's exact per-tenant subtotal, then the API's exact grand total. */
function ChargebackTable({ report }: { report: Chargeback }) {
  const tenants = [...new Set(report.rows.map((r) => r.tenant_id))]
  return (
    <table className="data" data-testid="chargeback-table">
      <thead>
        <tr>
          <th>Tenant</th>
          <th>Period start (UTC)</th>
          <th>{report.group}</th>
          <th className="num">Requests</th>
          <th className="num">Errors</th>
          <th className="num">Input tokens</th>
          <th className="num">Output tokens</th>
          <th className="num">Cache read</th>
          <th className="num">Cache write</th>
          <th className="num">Cost (USD)</th>
          <th className="num" title="Requests the gateway answered from its response cache (charged 0)">
            Cached answers
          </th>
          <th className="num" title="What the cached answers cost when they were fetched">
            Saved (USD)
          </th>
        </tr>
      </thead>
      {tenants.map((tenant) => (
        <tbody key={tenant} data-tenant={tenant}>
          {report.rows
            .filter((r) => r.tenant_id === tenant)
            .map((r) => (
              <tr key={`${r.period_start}/${r.key}`} data-row="">
                <td>{r.tenant_id}</td>
                <td>{r.period_start}</td>
                <td>{r.key || <span className="muted">(none)</span>}</td>
                <UsageCells u={r} />
              </tr>
            ))}
          {report.tenant_totals[tenant] ? (
            <tr className="subtotal" data-subtotal={tenant}>
              <td colSpan={3}>{tenant} total</td>
              <UsageCells u={report.tenant_totals[tenant]} />
            </tr>
          ) : null}
        </tbody>
      ))}
      <tfoot>
        <tr className="total" data-total="">
          <td colSpan={3}>Total</td>
          <UsageCells u={report.totals} />
        </tr>
      </tfoot>
    </table>
  )
}
