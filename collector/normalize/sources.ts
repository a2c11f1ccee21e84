// precedence.ts compiled for the hot path: every attribute key named in the table gets a slot
// number, so scanning a span is one Map lookup per attribute and resolving a column is a walk
// over small integer arrays.
import { CONVENTION_MARKERS, EVENT_SOURCES, precedence, type Column } from './precedence.ts'
import { parsePattern, type MessagePattern } from './messages.ts'
import { ROUTE_FAILED, SPAN_ROLE } from '../../lib/attributes.ts'

export type CompiledSource =
  | { kind: 'attr'; source: string; slot: number }
  | { kind: 'json'; source: string; slot: number; field: string }
  | { kind: 'messages'; source: string; pattern: MessagePattern }

export const SLOT_OF = new Map<string, number>()

function slotFor(key: string): number {
  let slot = SLOT_OF.get(key)
  if (slot === undefined) SLOT_OF.set(key, (slot = SLOT_OF.size))
  return slot
}

function compile(source: string): CompiledSource {
  if (source.includes('{i}')) return { kind: 'messages', source, pattern: parsePattern(source) }
  const hash = source.indexOf('#')
  if (hash >= 0) return { kind: 'json', source, slot: slotFor(source.slice(0, hash)), field: source.slice(hash + 1) }
  return { kind: 'attr', source, slot: slotFor(source) }
}

export const COLUMNS = Object.fromEntries(
  Object.entries(precedence).map(([column, sources]) => [column, sources.map(compile)]),
) as Record<Column, CompiledSource[]>

/** Attribute key prefixes collected for the `{i}` message sources. */
export const MESSAGE_PREFIXES: readonly string[] = [
  ...new Set(
    Object.values(COLUMNS)
      .flat()
      .flatMap((s) => (s.kind === 'messages' ? [s.pattern.prefix] : [])),
  ),
]

/** Event name → slots its attributes may fill. */
export const EVENT_SLOTS = new Map<string, Map<string, number>>(
  Object.entries(EVENT_SOURCES).map(([event, keys]) => [event, new Map(keys.map((k) => [k, slotFor(k)]))]),
)

export const SERVICE_NAME_SLOT = slotFor('service.name')
export const LOOPGATE_SPAN_SLOT = slotFor(SPAN_ROLE)
export const ROUTE_FAILED_SLOT = slotFor(ROUTE_FAILED)
export const ALL_SLOTS = SLOT_OF.size

/** Marker prefixes flattened with their rank (lower wins) for the `convention` column. */
export const MARKERS: readonly { prefix: string; rank: number }[] = CONVENTION_MARKERS.flatMap((m, rank) =>
  m.prefixes.map((prefix) => ({ prefix, rank })),
)
export const CONVENTION_NAMES: readonly string[] = CONVENTION_MARKERS.map((m) => m.convention)
