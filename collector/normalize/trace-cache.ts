// Bounded LRU maps for trace-level propagation across requests. Session and user are keyed by
// (resolved tenant, trace id), so a trace id that several tenants share (it is chosen by their
// clients) is a separate trace per tenant: one tenant's spans never lend or inherit another's.

interface Entry<V> {
  key: string
  value: V
  /** Toward the least recently used entry, and toward the most recent one. */
  older: Entry<V> | null
  newer: Entry<V> | null
}

/**
 * Least-recently-used map with a fixed capacity (0 keeps nothing). The recency order is a linked
 * list beside the Map, so a hit costs one Map look-up and a few pointer moves (re-inserting the key
 * into a large Map to move it to the end would cost a delete and a set, each hashing the key).
 */
export class LruMap<V> {
  private readonly entries = new Map<string, Entry<V>>()
  private oldest: Entry<V> | null = null
  private newest: Entry<V> | null = null
  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key)
    if (hit === undefined) return undefined
    this.touch(hit)
    return hit.value
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      hit.value = value
      this.touch(hit)
      return
    }
    if (this.entries.size >= this.capacity && this.oldest) {
      const evicted = this.oldest
      this.unlink(evicted)
      this.entries.delete(evicted.key)
    }
    const entry: Entry<V> = { key, value, older: null, newer: null }
    this.entries.set(key, entry)
    this.append(entry)
  }

  private touch(entry: Entry<V>): void {
    if (entry === this.newest) return
    this.unlink(entry)
    this.append(entry)
  }

  private unlink(entry: Entry<V>): void {
    if (entry.older) entry.older.newer = entry.newer
    else this.oldest = entry.newer
    if (entry.newer) entry.newer.older = entry.older
    else this.newest = entry.older
    entry.older = entry.newer = null
  }

  private append(entry: Entry<V>): void {
    entry.older = this.newest
    if (this.newest) this.newest.newer = entry
    else this.oldest = entry
    this.newest = entry
  }
}

export interface TraceContext {
  session: string
  user: string
  /** Spans of this trace were stored before its session was known (the sessions rollup lacks them). */
  orphans?: boolean
}

export const traceKey = (tenantId: string, traceId: string) => `${tenantId}\u0000${traceId}`

/** (tenant, trace) → session and user seen on the trace; the first value seen wins. */
export class TraceContextCache {
  private readonly lru: LruMap<TraceContext>
  constructor(capacity: number) {
    this.lru = new LruMap(capacity)
  }

  get size(): number {
    return this.lru.size
  }

  get(key: string): TraceContext | undefined {
    return this.lru.get(key)
  }

  /**
   * Fills the fields still empty in the cached entry (first value seen wins). `existing` is what
   * `get(key)` just returned, when the caller has it: a second look-up would move the entry twice.
   */
  merge(key: string, ctx: TraceContext, existing: TraceContext | undefined = this.lru.get(key)): void {
    if (!existing) return this.lru.set(key, { ...ctx })
    if (!existing.session) existing.session = ctx.session
    if (!existing.user) existing.user = ctx.user
    existing.orphans = ctx.orphans
  }
}
