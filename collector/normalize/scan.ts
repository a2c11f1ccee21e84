// One pass over a span's (or resource's) attributes: the flattened attribute map, the values
// of the keys the precedence table cares about, indexed message attributes, the convention.
import type { TextKeyValue } from '../otlp/model.ts'
import { anyValueToString } from './any-value.ts'
import { ALL_SLOTS, MARKERS, MESSAGE_PREFIXES, SLOT_OF } from './sources.ts'
import { TRUNCATED_ATTRIBUTES } from '../../lib/attributes.ts'

export const MAX_ATTRIBUTES = 10_000
export const MAX_VALUE_BYTES = 1024 * 1024
export const TRUNCATED_ATTRIBUTE = TRUNCATED_ATTRIBUTES

export interface Scan {
  attributes: Record<string, string>
  /** Value per slot (sources.ts), undefined when absent. */
  slots: (string | undefined)[]
  /** [key, value] of attributes under a message prefix, for `{i}` sources. */
  messagePairs: [string, string][] | null
  /** Index into CONVENTION_NAMES; MARKERS.length+ when none. */
  conventionRank: number
}

export function emptyScan(): Scan {
  // A null-prototype object starts in dictionary mode: no hidden-class transition per new key set.
  return {
    attributes: Object.create(null) as Record<string, string>,
    slots: new Array(ALL_SLOTS),
    messagePairs: null,
    conventionRank: Number.MAX_SAFE_INTEGER,
  }
}

/** Fills `scan` from the list. Values over MAX_VALUE_BYTES are cut and listed under TRUNCATED_ATTRIBUTE. */
export function scanAttributes(list: readonly TextKeyValue[], scan: Scan): void {
  const { attributes, slots } = scan
  let truncated: string[] | null = null
  for (let i = 0; i < list.length; i++) {
    const kv = list[i]!
    const key = kv.key
    let value = anyValueToString(kv.value)
    if (value.length * 3 > MAX_VALUE_BYTES && Buffer.byteLength(value) > MAX_VALUE_BYTES) {
      value = truncateUtf8(value, MAX_VALUE_BYTES)
      ;(truncated ??= []).push(key)
    }
    attributes[key] = value
    const info = keyInfo(key)
    if (info.slot !== undefined) slots[info.slot] = value
    if (info.conventionRank < scan.conventionRank) scan.conventionRank = info.conventionRank
    if (info.message) (scan.messagePairs ??= []).push([key, value])
  }
  if (truncated) attributes[TRUNCATED_ATTRIBUTE] = JSON.stringify(truncated)
}

/** What the precedence table makes of a key: its slot, the convention it marks, whether it is a message attribute. */
interface KeyInfo {
  slot: number | undefined
  conventionRank: number
  message: boolean
}

// Keys repeat from span to span; the cache is bounded so a stream of unique keys cannot grow it.
const KEY_INFO = new Map<string, KeyInfo>()
const MAX_CACHED_KEYS = 10_000

function keyInfo(key: string): KeyInfo {
  let info = KEY_INFO.get(key)
  if (info !== undefined) return info
  const marker = MARKERS.find((m) => key.startsWith(m.prefix)) // ordered by rank: the first match wins
  info = {
    slot: SLOT_OF.get(key),
    conventionRank: marker?.rank ?? Number.MAX_SAFE_INTEGER,
    message: MESSAGE_PREFIXES.some((p) => key.startsWith(p)),
  }
  if (KEY_INFO.size < MAX_CACHED_KEYS) KEY_INFO.set(key, info)
  return info
}

function truncateUtf8(s: string, maxBytes: number): string {
  let out = Buffer.from(s).subarray(0, maxBytes).toString('utf8')
  while (out.endsWith('\uFFFD') && !s.startsWith(out)) out = out.slice(0, -1)
  return out
}
