import { useState, type FormEvent } from 'react'
import type { ScoreInput } from '../api/client.ts'
import { useAnnotate, useMe } from '../api/queries.ts'

type Kind = 'thumbs' | 'number' | 'category'

const DEFAULT_NAME: Record<Kind, string> = {
  thumbs: 'human.thumbs',
  number: 'human.rating',
  category: 'human.category',
}
// A display name is a courtesy shown beside the key id; the key is what the collector records as author.
const AUTHOR_NAME_KEY = 'loopgate.author-name'

/** Adds a human score (thumbs, number or category) with a comment to a trace or one of its spans. */
export function AnnotateForm({
  tenantId,
  traceId,
  spanId,
  what,
}: {
  tenantId: string
  traceId: string
  spanId?: string
  what: 'trace' | 'span'
}) {
  const me = useMe()
  const annotate = useAnnotate()
  const [kind, setKind] = useState<Kind>('thumbs')
  const [name, setName] = useState(DEFAULT_NAME.thumbs)
  const [thumb, setThumb] = useState<boolean | null>(null)
  const [number, setNumber] = useState('')
  const [label, setLabel] = useState('')
  const [comment, setComment] = useState('')
  const [authorName, setAuthorName] = useState(() => localStorage.getItem(AUTHOR_NAME_KEY) ?? '')
  const [problem, setProblem] = useState<string | null>(null)

  if (me.data && !me.data.may_annotate) {
    return <p className="muted">This key is read-only: it cannot add scores.</p>
  }

  const chooseKind = (next: Kind) => {
    if (name === DEFAULT_NAME[kind]) setName(DEFAULT_NAME[next])
    setKind(next)
  }

  const submit = (e: FormEvent) => {
    e.preventDefault()
    setProblem(null)
    const score: ScoreInput = {
      tenant_id: tenantId,
      trace_id: traceId,
      span_id: spanId,
      name: name.trim(),
      source: 'human',
      comment: comment.trim() || undefined,
      author_name: authorName.trim() || undefined,
    }
    if (kind === 'thumbs') {
      if (thumb === null) return setProblem('Choose thumbs up or down.')
      score.data_type = 'boolean'
      score.value = thumb
    } else if (kind === 'number') {
      const value = Number(number)
      if (number.trim() === '' || !Number.isFinite(value))
        return setProblem('Enter a number (scores are on a 0–1 scale).')
      score.data_type = 'numeric'
      score.value = value
    } else {
      if (!label.trim()) return setProblem('Enter a category.')
      score.data_type = 'categorical'
      score.label = label.trim()
    }
    localStorage.setItem(AUTHOR_NAME_KEY, authorName.trim())
    annotate.mutate(score, {
      onSuccess: () => {
        setComment('')
        setThumb(null)
        setNumber('')
        setLabel('')
      },
    })
  }

  const error = problem ?? (annotate.error instanceof Error ? annotate.error.message : null)
  return (
    <form className="annotate" aria-label={`Annotate ${what}`} onSubmit={submit}>
      <div className="annotate-row" role="radiogroup" aria-label="Score kind">
        {(['thumbs', 'number', 'category'] as const).map((k) => (
          <button
            key={k}
            type="button"
            role="radio"
            aria-checked={kind === k}
            className={kind === k ? 'active' : ''}
            onClick={() => chooseKind(k)}
          >
            {k === 'thumbs' ? 'Thumbs' : k === 'number' ? 'Number' : 'Category'}
          </button>
        ))}
        <label>
          Score name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={128} required />
        </label>
      </div>
      <div className="annotate-row">
        {kind === 'thumbs' ? (
          <>
            <button
              type="button"
              aria-pressed={thumb === true}
              className={thumb === true ? 'active' : ''}
              onClick={() => setThumb(true)}
            >
              ▲ Good
            </button>
            <button
              type="button"
              aria-pressed={thumb === false}
              className={thumb === false ? 'active' : ''}
              onClick={() => setThumb(false)}
            >
              ▼ Bad
            </button>
          </>
        ) : kind === 'number' ? (
          <label>
            Value{' '}
            <input
              type="number"
              step="any"
              value={number}
              onChange={(e) => setNumber(e.target.value)}
              placeholder="0–1"
            />
          </label>
        ) : (
          <label>
            Category <input value={label} onChange={(e) => setLabel(e.target.value)} maxLength={1024} />
          </label>
        )}
      </div>
      <label className="annotate-comment">
        Comment <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} maxLength={32_768} />
      </label>
      <div className="annotate-row">
        <label>
          Your name{' '}
          <input
            value={authorName}
            onChange={(e) => setAuthorName(e.target.value)}
            maxLength={128}
            placeholder="optional"
          />
        </label>
        <button type="submit" disabled={annotate.isPending}>
          {annotate.isPending ? 'Saving…' : 'Add score'}
        </button>
      </div>
      {me.data ? (
        <p className="muted annotate-identity">
          Recorded as key <code>{me.data.key_id}</code>
        </p>
      ) : null}
      {error ? (
        <div className="state state-error" role="alert">
          {error}
        </div>
      ) : null}
      {annotate.isSuccess && !error ? (
        <p className="muted" role="status">
          Score added.
        </p>
      ) : null}
    </form>
  )
}
