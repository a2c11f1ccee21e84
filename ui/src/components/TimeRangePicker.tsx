import { useSearchParams } from '../app/url-state.ts'
import { RANGE_PRESETS, resolveRange } from '../lib/time-range.ts'

const toInput = (d: Date) => d.toISOString().slice(0, 16)

/** Preset buttons plus a custom from/to (UTC); everything is kept in the URL. */
export function TimeRangePicker() {
  const [params, update] = useSearchParams()
  const range = resolveRange(params)
  const setCustom = (key: 'from' | 'to', value: string) => {
    if (!value) return
    const other = key === 'from' ? toInput(range.to) : toInput(range.from)
    update({ range: null, cursor: null, [key]: `${value}:00Z`, [key === 'from' ? 'to' : 'from']: `${other}:00Z` })
  }
  return (
    <div className="range-picker" aria-label="Time range">
      {RANGE_PRESETS.map((p) => (
        <button
          key={p}
          type="button"
          className={range.preset === p ? 'active' : ''}
          aria-pressed={range.preset === p}
          onClick={() => update({ range: p, from: null, to: null, cursor: null })}
        >
          {p}
        </button>
      ))}
      <label>
        from{' '}
        <input
          type="datetime-local"
          aria-label="From (UTC)"
          value={toInput(range.from)}
          onChange={(e) => setCustom('from', e.target.value)}
        />
      </label>
      <label>
        to{' '}
        <input
          type="datetime-local"
          aria-label="To (UTC)"
          value={toInput(range.to)}
          onChange={(e) => setCustom('to', e.target.value)}
        />
      </label>
      <span className="muted">UTC</span>
    </div>
  )
}
