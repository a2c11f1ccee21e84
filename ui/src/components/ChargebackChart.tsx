import { useMemo } from 'react'
import type { Chargeback } from '../api/client.ts'
import { costOf, seriesByKey } from '../lib/series.ts'
import { TimeChart } from './TimeChart.tsx'

const usd = (v: number) => `$${v < 1 ? v.toPrecision(2) : v.toFixed(2)}`

export function ChargebackChart({ report }: { report: Chargeback }) {
  const xRange = useMemo(
    (): [number, number] => [Date.parse(report.from) / 1000, Date.parse(report.to) / 1000],
    [report.from, report.to],
  )
  const data = useMemo(() => seriesByKey(report.rows, costOf), [report])
  return (
    <TimeChart
      xRange={xRange}
      title={`Cost per ${report.period} by ${report.group}`}
      x={data.x}
      series={data.series}
      format={usd}
    />
  )
}
