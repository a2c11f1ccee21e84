import type { SpanRow } from '../storage/span-row.ts'
import { RecentIds } from './recent-ids.ts'
import { spanKey } from './span-key.ts'

export interface DedupSettings {
  /** Ids of stored spans remembered at most (0 turns deduplication off). */
  maxIds: number
  /** How long a stored span's id is remembered. */
  windowSeconds: number
}

/** One request's share of the deduplicator: the rows it must write, and how it ends. */
export interface Claim {
  /** Rows not stored and not in flight elsewhere: this request writes them. */
  fresh: SpanRow[]
  /** Rows already stored, or repeated within the request. */
  duplicates: number
  /** Resolves once the rows this request found in flight in other requests are stored; rejects if one of those failed. */
  others: Promise<void>
  /** This request's fresh rows are stored. */
  commit(): void
  /** This request's write failed: its rows are not claimed any more. */
  release(err: Error): void
}

/**
 * Filters re-sent spans before they are written, so a duplicate never reaches `spans` or the
 * rollups its materialized views feed. A span is identified by (tenant, trace id, span id).
 * Stored ids are remembered (RecentIds; loaded from storage at start, so a crash between the
 * INSERT and the ack is covered); ids being written are held with their write, and a request that
 * carries one of them waits for that write instead of writing the span again.
 */
export class SpanDeduplicator {
  private readonly recent: RecentIds
  private readonly inFlight = new Map<string, Promise<void>>()

  constructor(readonly settings: DedupSettings) {
    this.recent = new RecentIds(settings.maxIds, settings.windowSeconds * 1000)
  }

  get enabled(): boolean {
    return this.settings.maxIds > 0
  }

  get remembered(): number {
    return this.recent.size
  }

  get bytes(): number {
    return this.recent.bytes
  }

  /** Adds the fingerprint of a span stored before this process started (oldest first). */
  remember(hi: number, lo: number, atMs: number): void {
    this.recent.add(hi, lo, atMs)
  }

  claim(rows: SpanRow[]): Claim {
    if (!this.enabled) return { fresh: rows, duplicates: 0, others: Promise.resolve(), commit() {}, release() {} }
    let settle!: { resolve(): void; reject(err: Error): void }
    const mine = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
    mine.catch(() => undefined) // waiters handle it; nobody else must see it unhandled
    const fresh: SpanRow[] = []
    const keys: string[] = []
    const fingerprints: number[] = []
    const waits = new Set<Promise<void>>()
    let duplicates = 0
    this.recent.expire()
    for (const row of rows) {
      const { text: key, hi, lo } = spanKey(row)
      if (this.recent.has(hi, lo)) {
        duplicates++
        continue
      }
      const writing = this.inFlight.get(key)
      if (writing) {
        duplicates++
        if (writing !== mine) waits.add(writing)
        continue
      }
      this.inFlight.set(key, mine)
      fresh.push(row)
      keys.push(key)
      fingerprints.push(hi, lo)
    }
    const forget = () => {
      for (const key of keys) this.inFlight.delete(key)
    }
    return {
      fresh,
      duplicates,
      others: Promise.all(waits).then(() => undefined),
      commit: () => {
        const now = Date.now()
        for (let i = 0; i < fingerprints.length; i += 2) this.recent.add(fingerprints[i]!, fingerprints[i + 1]!, now)
        forget()
        settle.resolve()
      },
      release: (err) => {
        forget()
        settle.reject(err)
      },
    }
  }
}
