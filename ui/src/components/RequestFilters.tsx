import { useState, type FormEvent, type KeyboardEvent } from 'react'
import type { ParamChange } from '../app/url-state.ts'

type Update = (changes: Record<string, ParamChange>) => void

const RANGES = [
  { key: 'latency', label: 'Latency (ms)', step: 'any' },
  { key: 'ttft', label: 'TTFT (ms)', step: 'any' },
  { key: 'tokens', label: 'Tokens', step: '1' },
  { key: 'cost', label: 'Cost (USD)', step: 'any' },
] as const

/**
 * Text search, status and the numeric ranges of the request log, applied together on submit
 * (the form is re-created when the URL changes, so it always starts from the URL's values).
 */
export function RequestRangeFilters({ params, update }: { params: URLSearchParams; update: Update }) {
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const changes: Record<string, ParamChange> = {}
    for (const name of [
      'q',
      'score',
      ...[...RANGES.map((r) => r.key), 'score'].flatMap((k) => [`${k}_min`, `${k}_max`]),
    ]) {
      changes[name] = String(form.get(name) ?? '').trim()
    }
    update(changes)
  }
  const clear = () => {
    const changes: Record<string, ParamChange> = { q: null, score: null, status: null }
    for (const k of [...RANGES.map((r) => r.key), 'score'])
      Object.assign(changes, { [`${k}_min`]: null, [`${k}_max`]: null })
    update(changes)
  }
  return (
    <form
      key={params.toString()}
      className="request-filters"
      role="search"
      aria-label="Request filters"
      onSubmit={apply}
    >
      <input
        name="q"
        aria-label="Search text"
        placeholder="input or output contains…"
        defaultValue={params.get('q') ?? ''}
        className="text-search"
      />
      <label>
        Status{' '}
        <select
          aria-label="Status"
          value={params.get('status') ?? ''}
          onChange={(e) => update({ status: e.target.value })}
        >
          <option value="">any</option>
          <option value="ok">ok</option>
          <option value="error">error</option>
        </select>
      </label>
      {RANGES.map((r) => (
        <fieldset key={r.key} className="range">
          <legend>{r.label}</legend>
          <input
            name={`${r.key}_min`}
            aria-label={`${r.label} min`}
            placeholder="min"
            type={r.key === 'cost' ? 'text' : 'number'}
            inputMode="decimal"
            min={0}
            step={r.step}
            defaultValue={params.get(`${r.key}_min`) ?? ''}
          />
          –
          <input
            name={`${r.key}_max`}
            aria-label={`${r.label} max`}
            placeholder="max"
            type={r.key === 'cost' ? 'text' : 'number'}
            inputMode="decimal"
            min={0}
            step={r.step}
            defaultValue={params.get(`${r.key}_max`) ?? ''}
          />
        </fieldset>
      ))}
      <fieldset className="range">
        <legend>Score</legend>
        <input
          name="score"
          aria-label="Score name"
          placeholder="name"
          defaultValue={params.get('score') ?? ''}
          className="score-name"
        />
        <input
          name="score_min"
          aria-label="Score min"
          placeholder="min"
          type="number"
          step="any"
          defaultValue={params.get('score_min') ?? ''}
        />
        –
        <input
          name="score_max"
          aria-label="Score max"
          placeholder="max"
          type="number"
          step="any"
          defaultValue={params.get('score_max') ?? ''}
        />
      </fieldset>
      <button type="submit">Apply</button>
      <button type="button" onClick={clear}>
        Clear
      </button>
    </form>
  )
}

/**
 * A multi-select for one name filter: the chosen values as removable chips, and an input (with
 * suggestions from the rows on screen) where Enter adds a value. Any of the values matches.
 */
export function ValuesFilter({
  param,
  label,
  values,
  suggestions,
  update,
}: {
  param: string
  label: string
  values: string[]
  suggestions: string[]
  update: Update
}) {
  const [draft, setDraft] = useState('')
  const add = () => {
    const v = draft.trim()
    if (v && !values.includes(v)) update({ [param]: [...values, v] })
    setDraft('')
  }
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter') return
    event.preventDefault()
    add()
  }
  const listId = `suggest-${param}`
  return (
    <div className="values-filter" data-filter={param}>
      <span className="values-label">{label}</span>
      {values.map((v) => (
        <span key={v} className="chip">
          {v}
          <button
            type="button"
            aria-label={`Remove ${label.toLowerCase()} ${v}`}
            onClick={() => update({ [param]: values.filter((x) => x !== v) })}
          >
            ✕
          </button>
        </span>
      ))}
      <input
        aria-label={`Add ${label.toLowerCase()} filter`}
        placeholder="add…"
        list={listId}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKey}
        onBlur={add}
      />
      <datalist id={listId}>
        {suggestions
          .filter((s) => !values.includes(s))
          .map((s) => (
            <option key={s} value={s} />
          ))}
      </datalist>
    </div>
  )
}
