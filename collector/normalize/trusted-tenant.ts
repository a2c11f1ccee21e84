// In a trusted ingest (the admin token: the gateway), `loopgate.tenant.id` names a span's tenant.
// A span of that ingest without the attribute takes the tenant of its nearest ancestor in the
// same request that names one, else the one tenant its trace has been seen with; when a trace
// id is shared by several tenants that is ambiguous, and the span keeps the ingest's own tenant.
// Untrusted ingest (tenant keys, loopback) never reaches here: its tenant is fixed by its key.
import type { SpanRow } from '../storage/span-row.ts'
import { LruMap } from './trace-cache.ts'

/** Marks a trace seen with more than one trusted tenant (not a valid tenant id: it has a NUL). */
const SHARED = '\u0000shared'
const MAX_ANCESTRY = 64

export class TrustedTenants {
  private readonly byTrace: LruMap<string>
  constructor(capacity: number) {
    this.byTrace = new LruMap(capacity)
  }

  /** Sets `tenant_id` on the rows that lack a trusted attribute; `named` holds those that have one. */
  resolve(rows: SpanRow[], named: ReadonlySet<SpanRow>): void {
    const seen = new Map<string, string>()
    for (const row of named) {
      const known = seen.get(row.TraceId) ?? this.byTrace.get(row.TraceId)
      seen.set(row.TraceId, known === undefined || known === row.tenant_id ? row.tenant_id : SHARED)
    }
    for (const [traceId, tenant] of seen) this.byTrace.set(traceId, tenant)
    if (named.size === rows.length) return

    const bySpan = new Map<string, SpanRow>()
    for (const row of rows) bySpan.set(`${row.TraceId}/${row.SpanId}`, row)
    for (const row of rows) {
      if (named.has(row)) continue
      const tenant = this.ancestorTenant(row, bySpan, named) ?? this.byTrace.get(row.TraceId)
      if (tenant !== undefined && tenant !== SHARED) row.tenant_id = tenant
    }
  }

  private ancestorTenant(row: SpanRow, bySpan: Map<string, SpanRow>, named: ReadonlySet<SpanRow>): string | undefined {
    let current = row
    for (let depth = 0; depth < MAX_ANCESTRY && current.ParentSpanId; depth++) {
      const parent = bySpan.get(`${current.TraceId}/${current.ParentSpanId}`)
      if (!parent) return undefined
      if (named.has(parent)) return parent.tenant_id
      current = parent
    }
    return undefined
  }
}
