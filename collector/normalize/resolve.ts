// Resolves canonical columns from a span scan (then its resource scan) with precedence.ts.
import type { Column } from './precedence.ts'
import { COLUMNS, type CompiledSource } from './sources.ts'
import { assembleMessages } from './messages.ts'
import type { Scan } from './scan.ts'

export interface Resolved {
  value: string
  source: string
}

/** First source (span first, then resource) with a non-empty value that `accept` takes. */
export function resolve(
  column: Column,
  span: Scan,
  resource: Scan | null,
  accept?: (value: string, source: string) => boolean,
): Resolved | null {
  const sources = COLUMNS[column]
  return pick(sources, span, accept) ?? (resource ? pick(sources, resource, accept) : null)
}

function pick(
  sources: readonly CompiledSource[],
  scan: Scan,
  accept?: (value: string, source: string) => boolean,
): Resolved | null {
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i]!
    let value: string | undefined
    if (s.kind === 'attr') value = scan.slots[s.slot]
    else if (s.kind === 'json') {
      const text = scan.slots[s.slot]
      value = text ? jsonField(text, s.field) : undefined
    } else value = scan.messagePairs ? assembleMessages(s.pattern, scan.messagePairs) : undefined
    if (value !== undefined && value !== '' && (!accept || accept(value, s.source))) return { value, source: s.source }
  }
  return null
}

function jsonField(text: string, field: string): string | undefined {
  if (text.charCodeAt(0) !== 123 /* { */) return undefined
  try {
    const v = (JSON.parse(text) as Record<string, unknown>)[field]
    if (v === undefined || v === null) return undefined
    return typeof v === 'object' ? JSON.stringify(v) : String(v)
  } catch {
    return undefined
  }
}
