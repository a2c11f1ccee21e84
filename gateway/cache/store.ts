import type { AnswerForm } from './key.ts'

/** One cached answer: the bytes the client was sent and what fetching them cost. */
export interface CacheEntry {
  form: AnswerForm
  /** The JSON body, or the whole SSE stream as sent (frames and final `[DONE]` / `message_stop`). */
  body: string
  /** Cost charged when the answer was fetched (exact decimal USD): what each hit saves. */
  costUsd: string
  /** The target that served it. */
  target: string
  /** `gen_ai.output.messages` of the answer, when the route captured output… */
  output?: string
  /** …and how (`on` or `redacted`): a hit shows it only under the same capture setting. */
  capture?: string
  /** Epoch ms when stored. */
  storedAt: number
}

/** Where entries live. Reads and writes never throw: a store that fails answers `undefined` (a miss). */
export interface CacheStore {
  readonly kind: 'memory' | 'redis'
  get(key: string): Promise<CacheEntry | undefined>
  set(key: string, entry: CacheEntry, ttlMs: number): Promise<void>
  /** Gauges and counters for /metrics (name → value). */
  metrics(): Record<string, number>
}

/** Bytes an entry holds (its body dominates; the rest is a small fixed overhead). */
export const entryBytes = (e: CacheEntry) => Buffer.byteLength(e.body) + e.costUsd.length + e.target.length + 64
