// The normalizer: decoded OTLP request → SpanRows with canonical columns (precedence.ts,
// documented in docs/normalization.md), refusing only spans with unusable ids or absurd
// attribute counts, and propagating session/user/trusted tenant across each trace.
import type { ExportRequest } from '../otlp/decode.ts'
import type { SpanRow } from '../storage/span-row.ts'
import { normalizeSpan } from './normalize-span.ts'
import { createPricer, type PriceFn } from './pricing.ts'
import { emptyScan, scanAttributes } from './scan.ts'
import { TraceContextCache, type TraceContext } from './trace-cache.ts'

export interface NormalizeContext {
  /** The tenant the ingest key belongs to ('default' for unauthenticated loopback ingest). */
  tenantId: string
  /** True only for trusted ingest tokens: then `loopgate.tenant.id` on a span/resource names its tenant. */
  trustTenantAttribute: boolean
}

export interface NormalizeResult {
  rows: SpanRow[]
  /** Spans refused (e.g. ids of the wrong length); the others in the request are kept. */
  rejected: number
  /** Human-readable reasons for the refused spans (first few), for OTLP partial_success. */
  errors: string[]
  /** Traces whose session became known only now, after some of their spans were stored without it. */
  lateSessions: LateSession[]
}

export interface LateSession {
  tenantId: string
  traceId: string
  sessionId: string
  userId: string
}

export interface NormalizerOptions {
  /** Traces remembered for cross-request session/user propagation (default 100,000). */
  traceCacheSize?: number
  /** Reasons kept per request (default 10); `rejected` still counts them all. */
  maxErrors?: number
  /** Price lookup; defaults to @pydantic/genai-prices with exact arithmetic. */
  price?: PriceFn
}

export class Normalizer {
  private readonly traces: TraceContextCache
  private readonly maxErrors: number
  private readonly price: PriceFn

  constructor(options: NormalizerOptions = {}) {
    this.traces = new TraceContextCache(options.traceCacheSize ?? 100_000)
    this.maxErrors = options.maxErrors ?? 10
    this.price = options.price ?? createPricer()
  }

  normalize(request: ExportRequest, ctx: NormalizeContext): NormalizeResult {
    const rows: SpanRow[] = []
    const errors: string[] = []
    let rejected = 0
    /** Rows whose tenant came from a trusted attribute (they name the trace's tenant). */
    const tenantRows = new Set<SpanRow>()
    for (const rs of request.resourceSpans) {
      const resource = emptyScan()
      scanAttributes(rs.resource.attributes, resource)
      for (const ss of rs.scopeSpans) {
        const scope = { name: ss.scope.name, version: ss.scope.version }
        for (const span of ss.spans) {
          const outcome = normalizeSpan({
            span, resource, scope, tenantId: ctx.tenantId, trustTenantAttribute: ctx.trustTenantAttribute, price: this.price,
          })
          if ('error' in outcome) {
            rejected++
            if (errors.length < this.maxErrors) errors.push(outcome.error)
            continue
          }
          rows.push(outcome.row)
          if (outcome.tenantFromAttribute) tenantRows.add(outcome.row)
        }
      }
    }
    const lateSessions = this.propagate(rows, tenantRows, ctx)
    return { rows, rejected, errors, lateSessions }
  }

  /** Session, user and trusted tenant found on any span of a trace fill the others (this request and later ones). */
  private propagate(rows: SpanRow[], tenantRows: Set<SpanRow>, ctx: NormalizeContext): LateSession[] {
    const late: LateSession[] = []
    const byTrace = new Map<string, TraceContext>()
    for (const row of rows) {
      let t = byTrace.get(row.TraceId)
      if (!t) byTrace.set(row.TraceId, (t = { session: '', user: '', tenant: '' }))
      if (!t.session) t.session = row.session_id
      if (!t.user) t.user = row.user_id
      if (!t.tenant && tenantRows.has(row)) t.tenant = row.tenant_id
    }
    const prefix = `${ctx.tenantId}\u0000`
    for (const [traceId, t] of byTrace) {
      const key = prefix + traceId
      const known = this.traces.get(key)
      if (known) {
        if (t.session && !known.session && known.orphans) {
          late.push({ tenantId: t.tenant || known.tenant || ctx.tenantId, traceId, sessionId: t.session, userId: t.user || known.user })
        }
        t.session ||= known.session
        t.user ||= known.user
        t.tenant ||= known.tenant
      }
      // Remember traces stored without a session too, so a session that arrives later can be credited with them.
      t.orphans = !t.session
      this.traces.merge(key, t)
    }
    for (const row of rows) {
      const t = byTrace.get(row.TraceId)!
      if (!row.session_id) row.session_id = t.session
      if (!row.user_id) row.user_id = t.user
      if (t.tenant && !tenantRows.has(row)) row.tenant_id = t.tenant
    }
    return late
  }
}
