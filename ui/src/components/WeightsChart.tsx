import { useMemo } from 'react'
import type { RoutingDecision } from '../api/client.ts'
import { nsToDate } from '../api/client.ts'
import { TimeChart } from './TimeChart.tsx'

const MIN_MARGIN_S = 300

/**
 * Weights of one route's targets over time: a step per applied decision (dry runs change nothing),
 * every decision marked by its number in the list below the chart. The axis starts shortly before
 * the first decision (within the range), so decisions minutes apart are not one line at a day's edge.
 */
export function WeightsChart({
  route,
  decisions,
  xRange: range,
}: {
  route: string
  decisions: RoutingDecision[]
  xRange: [number, number]
}) {
  const xRange = useMemo((): [number, number] => {
    const first = Math.min(...decisions.map((d) => nsToDate(d.created_at_ns).getTime() / 1000))
    if (!Number.isFinite(first)) return range
    const margin = Math.max((range[1] - first) * 0.1, MIN_MARGIN_S)
    return [Math.max(range[0], first - margin), range[1]]
  }, [decisions, range])
  const data = useMemo(() => {
    const ordered = [...decisions].sort((a, b) => (BigInt(a.created_at_ns) < BigInt(b.created_at_ns) ? -1 : 1))
    const targets = [
      ...new Set(ordered.flatMap((d) => [...Object.keys(d.old_weights), ...Object.keys(d.new_weights)])),
    ].sort()
    const x: number[] = []
    const values = new Map(targets.map((t) => [t, [] as (number | null)[]]))
    let current: Record<string, number> | null = null
    for (const d of ordered) {
      const seconds = nsToDate(d.created_at_ns).getTime() / 1000
      if (current === null) {
        // The weights in force before the first decision.
        x.push(Math.min(xRange[0], seconds - 1e-3))
        for (const t of targets) values.get(t)!.push(d.old_weights[t] ?? null)
        current = d.old_weights
      }
      if (d.applied && !d.dry_run) current = d.new_weights
      x.push(seconds)
      for (const t of targets) values.get(t)!.push(current[t] ?? null)
    }
    x.push(Math.max(xRange[1], x[x.length - 1]! + 1e-3))
    for (const t of targets) values.get(t)!.push(current?.[t] ?? null)
    const markers = ordered.map((d) => ({ x: nsToDate(d.created_at_ns).getTime() / 1000, label: d.reason }))
    return { x, series: targets.map((t) => ({ label: t, values: values.get(t)! })), markers }
  }, [decisions, xRange])
  return (
    <TimeChart
      xRange={xRange}
      title={`Weights over time · ${route}`}
      x={data.x}
      series={data.series}
      markers={data.markers}
      stepped
      format={(v) => v.toFixed(2)}
    />
  )
}
