import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface ChartSeries {
  label: string
  values: (number | null)[]
}

export interface ChartMarker {
  /** Unix seconds. */
  x: number
  label: string
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563']

/** A uPlot time chart: x in unix seconds; optional vertical markers (e.g. routing decisions). */
export function TimeChart({
  title,
  x,
  series,
  height = 200,
  stepped = false,
  bars = false,
  markers = [],
  format,
  xRange,
}: {
  title: string
  /** Unix seconds: the time range shown, so one data point still sits on a sensible axis. */
  xRange?: [number, number]
  x: number[]
  series: ChartSeries[]
  height?: number
  stepped?: boolean
  /** One bar per period starting at its x (periodic totals: requests, cost per hour). */
  bars?: boolean
  markers?: ChartMarker[]
  format?: (v: number) => string
}) {
  const host = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const el = host.current
    if (!el) return
    const drawMarkers = (u: uPlot) => {
      const ctx = u.ctx
      ctx.save()
      ctx.strokeStyle = '#f59e0b'
      ctx.fillStyle = '#92400e'
      ctx.lineWidth = 2 * devicePixelRatio
      ctx.font = `${10 * devicePixelRatio}px sans-serif`
      markers.forEach((m, i) => {
        const px = u.valToPos(m.x, 'x', true)
        ctx.beginPath()
        ctx.moveTo(px, u.bbox.top)
        ctx.lineTo(px, u.bbox.top + u.bbox.height)
        ctx.stroke()
        ctx.fillText(String(i + 1), px + 3 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio)
      })
      ctx.restore()
    }
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          spanGaps: true,
          // Sparse series (one bucket with traffic) need visible points, not just lines.
          points: { show: !bars && s.values.filter((v) => v !== null).length <= 60, size: 6 },
          ...(bars
            ? { fill: `${PALETTE[i % PALETTE.length]}99`, paths: uPlot.paths.bars?.({ align: 1, size: [0.9, 80] }) }
            : {}),
          ...(stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
          ...(format ? { value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)) } : {}),
        })),
      ],
      axes: [{}, { size: 70, ...(format ? { values: (_u: uPlot, ticks: number[]) => ticks.map(format) } : {}) }],
      scales: {
        x: { time: true, ...(xRange ? { range: (): uPlot.Range.MinMax => xRange } : {}) },
        y: { range: (_u, min, max): uPlot.Range.MinMax => [Math.min(0, min ?? 0), max > 0 ? max * 1.1 : 1] },
      },
      hooks: { draw: [drawMarkers] },
    }
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el)
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth || 600, height }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [x, series, height, stepped, bars, markers, format, xRange])

  return (
    <figure
      className="chart"
      aria-label={title}
      data-x={x.length}
      data-x-from={xRange?.[0]}
      data-points={series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0)}
    >
      <figcaption>{title}</figcaption>
      <div ref={host} />
    </figure>
  )
}
