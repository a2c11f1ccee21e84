import { useVirtualizer } from '@tanstack/react-virtual'
import { useRef, type CSSProperties } from 'react'
import type { Span } from '../api/client.ts'
import { formatMs } from '../lib/format.ts'
import { barGeometry, type SpanRow } from './span-rows.ts'
import { spanKindClass, spanKindLabel } from './span-kind.ts'

const ROW_HEIGHT = 26

/** Span tree (left) and waterfall on the trace's time axis (right), one virtualized row per span. */
export function SpanWaterfall({
  rows,
  traceStartNs,
  traceEndNs,
  selectedId,
  collapsed,
  onSelect,
  onToggle,
}: {
  rows: SpanRow<Span>[]
  traceStartNs: string
  traceEndNs: string
  selectedId: string | null
  collapsed: ReadonlySet<string>
  onSelect(spanId: string): void
  onToggle(spanId: string): void
}) {
  const scroller = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  })
  const totalMs = Number(BigInt(traceEndNs) - BigInt(traceStartNs)) / 1e6

  return (
    <div className="waterfall" role="tree" aria-label="Span tree">
      <div className="waterfall-head">
        <span>Span</span>
        <span className="axis">
          <span>0</span>
          <span>{formatMs(totalMs / 2)}</span>
          <span>{formatMs(totalMs)}</span>
        </span>
      </div>
      <div ref={scroller} className="waterfall-body" data-testid="waterfall-scroller">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const { span, depth, hasChildren } = rows[item.index]!
            const bar = barGeometry(span.start_ns, span.end_ns, traceStartNs, traceEndNs)
            const selected = span.span_id === selectedId
            return (
              <div
                key={span.span_id}
                role="treeitem"
                aria-level={depth + 1}
                aria-selected={selected}
                aria-expanded={hasChildren ? !collapsed.has(span.span_id) : undefined}
                data-span-id={span.span_id}
                className={`span-row ${selected ? 'selected' : ''} ${spanKindClass(span)}`}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_HEIGHT,
                  transform: `translateY(${item.start}px)`,
                }}
                onClick={() => onSelect(span.span_id)}
              >
                <span className="span-label" style={{ paddingLeft: depth * 14 }}>
                  {hasChildren ? (
                    <button
                      type="button"
                      className="toggle"
                      aria-label={collapsed.has(span.span_id) ? 'Expand' : 'Collapse'}
                      onClick={(e) => {
                        e.stopPropagation()
                        onToggle(span.span_id)
                      }}
                    >
                      {collapsed.has(span.span_id) ? '▸' : '▾'}
                    </button>
                  ) : (
                    <span className="toggle-space" />
                  )}
                  <span className="kind-tag">{spanKindLabel(span)}</span> <span className="span-name">{span.name}</span>
                </span>
                <span className="span-track">
                  <span
                    className="span-bar"
                    style={{ left: `${bar.left}%`, width: `${bar.width}%` }}
                    title={formatMs(span.duration_ms)}
                  />
                  <span className="span-duration" style={durationLabelStyle(bar)}>
                    {formatMs(span.duration_ms)}
                  </span>
                </span>
              </div>
            )
          })}
        </div>
      </div>
    </div>
  )
}

/** After the bar; before it near the right edge; inside it when the bar spans (almost) the whole axis. */
function durationLabelStyle(bar: { left: number; width: number }): CSSProperties {
  if (bar.left + bar.width <= 85) return { left: `${bar.left + bar.width}%` }
  if (bar.left > 15) return { right: `${100 - bar.left}%`, paddingRight: 4 }
  return { right: 4, color: '#fff' }
}
