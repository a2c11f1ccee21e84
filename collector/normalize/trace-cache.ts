// Bounded LRU maps for trace-level propagation across requests. Session and user are keyed by
// (resolved tenant, trace id), so a trace id that several tenants share (it is chosen by their
// clients) is a separate trace per tenant: one tenant's spans never lend or inherit another's.

/** Least-recently-used map with a fixed capacity (0 keeps nothing). */
export class LruMap<V> {
  private readonly entries = new Map<string, V>()
  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, hit)
    }
    return hit
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return
    this.entries.delete(key)
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(key, value)
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
