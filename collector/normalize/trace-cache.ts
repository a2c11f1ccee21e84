// Bounded LRU: (ingest tenant, trace id) → session, user and trusted tenant seen on the trace,
// so spans of a trace that arrive in later requests inherit them. Keyed by the ingest tenant
// too, so one tenant's spans can never lend their session to another tenant's trace.

export interface TraceContext {
  session: string
  user: string
  /** Tenant named by a trusted `loopgate.tenant.id`; '' when none. */
  tenant: string
  /** Spans of this trace were stored before its session was known (the sessions rollup lacks them). */
  orphans?: boolean
}

export class TraceContextCache {
  private readonly entries = new Map<string, TraceContext>()
  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string): TraceContext | undefined {
    const hit = this.entries.get(key)
    if (hit) {
      this.entries.delete(key)
      this.entries.set(key, hit)
    }
    return hit
  }

  /** Fills the fields still empty in the cached entry (first value seen wins). */
  merge(key: string, ctx: TraceContext): void {
    const existing = this.entries.get(key)
    if (existing) {
      if (!existing.session) existing.session = ctx.session
      if (!existing.user) existing.user = ctx.user
      if (!existing.tenant) existing.tenant = ctx.tenant
      existing.orphans = ctx.orphans
      this.entries.delete(key)
      this.entries.set(key, existing)
      return
    }
    if (this.capacity <= 0) return
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(key, { ...ctx })
  }
}
