import { useMemo } from 'react'
import type { Chargeback, RouteTargetStats } from '../api/client.ts'
import { useChargeback, useRouteStats, useRouteStatsSeries, useTenants } from '../api/queries.ts'
import { useSearchParams } from '../app/url-state.ts'
import { PageHeader } from '../components/PageHeader.tsx'
import { Stat } from '../components/Stat.tsx'
import { QueryView } from '../components/States.tsx'
import { useTenantFilter } from '../components/TenantPicker.tsx'
import { TimeChart } from '../components/TimeChart.tsx'
import { TopList, usageByKey } from '../components/TopList.tsx'
import { formatCount, formatMs, formatPercent, formatScore, formatUsd } from '../lib/format.ts'
import { pooledQuality, worstP95 } from '../lib/route-stats.ts'
import {
  costOf,
  errorRateOf,
  fillPeriods,
  firstPeriodMs,
  periodFor,
  requestsOf,
  seriesTotal,
  tokensOf,
} from '../lib/series.ts'
import { dataRange, resolveRange, toApiTime, useXRange, type ResolvedRange } from '../lib/time-range.ts'

const TREND_BUCKETS = 12

export default function OverviewPage() {
  const [params] = useSearchParams()
  const tenant = useTenantFilter()
  const range = resolveRange(params)
  const base = {
    from: toApiTime(range.from),
    to: toApiTime(range.to),
    tenant,
    period: periodFor(range.to.getTime() - range.from.getTime()),
  }
  const byRoute = useChargeback({ ...base, group: 'route' })
  const byModel = useChargeback({ ...base, group: 'model' })
  const stats = useRouteStats({ from: base.from, to: base.to, tenant })
  return (
    <section>
      <PageHeader title="Overview" />
      <QueryView
        query={byRoute}
        what="usage"
        isEmpty={(d) => d.rows.length === 0}
        empty="No requests in this time range."
      >
        {(routes) => (
          <>
            <Kpis report={routes} stats={stats.data?.stats} />
            <Trends report={routes} range={range} tenant={tenant} />
            <div className="top-lists">
              <TopList title="Routes" entries={usageByKey(routes.rows)} />
              {byModel.data ? <TopList title="Models" entries={usageByKey(byModel.data.rows)} /> : null}
              <TopTenants report={routes} />
            </div>
          </>
        )}
      </QueryView>
    </section>
  )
}

function Kpis({ report, stats }: { report: Chargeback; stats: RouteTargetStats[] | undefined }) {
  const t = report.totals
  const worst = stats ? worstP95(stats) : null
  return (
    <div className="stats" data-testid="kpis">
      <Stat label="Requests" value={formatCount(t.requests)} />
      <Stat label="Cost" value={formatUsd(t.cost_usd)} />
      <Stat
        label="Tokens"
        value={formatCount(t.input_tokens + t.output_tokens)}
        hint={`${formatCount(t.input_tokens)} in / ${formatCount(t.output_tokens)} out`}
      />
      <Stat label="Error rate" value={formatPercent(t.requests ? t.errors / t.requests : null)} />
      <Stat
        label="p95 latency"
        value={worst ? formatMs(worst.p95) : '—'}
        hint={worst ? `worst target: ${worst.route} → ${worst.target}` : undefined}
      />
      <Stat label="Mean quality" value={formatScore(stats ? pooledQuality(stats) : null)} />
    </div>
  )
}

function TopTenants({ report }: { report: Chargeback }) {
  const tenants = useTenants()
  // A tenant key sees only itself; a list of one is noise.
  if (!tenants.data?.admin) return null
  return <TopList title="Tenants" entries={Object.entries(report.tenant_totals)} />
}

function Trends({ report, range, tenant }: { report: Chargeback; range: ResolvedRange; tenant: string | undefined }) {
  // Latency and quality are computed per window from raw spans, so their windows can follow the
  // data: a fresh install's first hour is twelve windows of five minutes, not one dot in a day.
  const traffic = dataRange(range, firstPeriodMs(report.rows))
  const fromMs = traffic.from.getTime()
  const toMs = traffic.to.getTime()
  const windows = useMemo(() => {
    const step = (toMs - fromMs) / TREND_BUCKETS
    return Array.from({ length: TREND_BUCKETS }, (_, i) => ({
      from: new Date(fromMs + i * step).toISOString(),
      to: new Date(fromMs + (i + 1) * step).toISOString(),
    }))
  }, [fromMs, toMs])
  const series = useRouteStatsSeries(windows, { tenant })
  const rangeFrom = range.from.getTime()
  const rangeTo = range.to.getTime()
  const usage = useMemo(() => {
    const fill = (s: ReturnType<typeof seriesTotal>, empty: number | null = 0) =>
      fillPeriods(s, report.period, rangeFrom, rangeTo, empty)
    return {
      requests: fill(seriesTotal(report.rows, 'requests', requestsOf)),
      cost: fill(seriesTotal(report.rows, 'cost (USD)', costOf)),
      tokens: fill(seriesTotal(report.rows, 'tokens', tokensOf)),
      errors: fill(seriesTotal(report.rows, 'error rate', errorRateOf), null),
    }
  }, [report, rangeFrom, rangeTo])
  const windowX = useMemo(() => windows.map((w) => Date.parse(w.from) / 1000), [windows])
  const xRange = useXRange(range)
  const windowRange = useXRange(traffic)
  // `series` is a new array on every render; what it holds changes only when one of its queries' data does.
  const seriesVersion = series.map((q) => q.dataUpdatedAt).join()
  const latency = useMemo(
    () => [
      {
        label: 'worst p95 latency (ms)',
        values: series.map((q) => (q.data ? (worstP95(q.data.stats)?.p95 ?? null) : null)),
      },
    ],
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by seriesVersion (above)
    [seriesVersion],
  )
  const quality = useMemo(
    () => [{ label: 'mean quality', values: series.map((q) => (q.data ? pooledQuality(q.data.stats) : null)) }],
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by seriesVersion (above)
    [seriesVersion],
  )
  return (
    <div className="charts">
      <TimeChart
        xRange={xRange}
        bars
        title={`Requests per ${report.period}`}
        x={usage.requests.x}
        series={usage.requests.series}
      />
      <TimeChart
        xRange={xRange}
        bars
        title={`Cost per ${report.period}`}
        x={usage.cost.x}
        series={usage.cost.series}
        format={(v) => `$${v.toPrecision(3)}`}
      />
      <TimeChart
        xRange={xRange}
        bars
        title={`Tokens per ${report.period}`}
        x={usage.tokens.x}
        series={usage.tokens.series}
      />
      <TimeChart
        xRange={xRange}
        title={`Error rate per ${report.period}`}
        x={usage.errors.x}
        series={usage.errors.series}
        format={(v) => `${(v * 100).toFixed(1)}%`}
      />
      <TimeChart
        xRange={windowRange}
        title="p95 latency (worst route × target)"
        x={windowX}
        series={latency}
        format={(v) => formatMs(v)}
      />
      <TimeChart xRange={windowRange} title="Mean quality" x={windowX} series={quality} format={(v) => v.toFixed(2)} />
    </div>
  )
}
