// The normalizer: decoded OTLP request → SpanRows with canonical columns (precedence.ts,
// documented in docs/normalization.md), refusing only spans with unusable ids or absurd
// attribute counts, and propagating session/user across each trace within one resolved tenant.
import type { ExportRequest, TextKeyValue } from '../otlp/decode.ts'
import type { SpanRow } from '../storage/span-row.ts'
import { normalizeSpan } from './normalize-span.ts'
import { createPricer, type PriceFn } from './pricing.ts'
import { emptyScan, scanAttributes } from './scan.ts'
import { TraceContextCache, traceKey, type TraceContext } from './trace-cache.ts'
import { TrustedTenants } from './trusted-tenant.ts'

export interface NormalizeContext {
  /** The tenant the ingest key belongs to ('default' for unauthenticated loopback ingest). */
  tenantId: string
  /**
   * True only for trusted ingest tokens (the admin token, which the gateway exports with): then
   * `loopgate.tenant.id` on a span/resource names its tenant, and `loopgate.route`/`target`/
   * `routing.version`/`attempt` fill the gateway columns. Untrusted spans keep those attributes
   * in SpanAttributes only, so they never count as gateway attempts in route statistics.
   */
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
  private readonly trustedTenants: TrustedTenants
  private readonly maxErrors: number
  private readonly price: PriceFn

  constructor(options: NormalizerOptions = {}) {
    this.traces = new TraceContextCache(options.traceCacheSize ?? 100_000)
    this.trustedTenants = new TrustedTenants(options.traceCacheSize ?? 100_000)
    this.maxErrors = options.maxErrors ?? 10
    this.price = options.price ?? createPricer()
  }

  /** Takes decoded requests of either form: attribute values as AnyValue, or scalars already as text. */
  normalize(request: ExportRequest<TextKeyValue>, ctx: NormalizeContext): NormalizeResult {
    const rows: SpanRow[] = []
    const errors: string[] = []
    let rejected = 0
    /** Rows whose tenant a trusted `loopgate.tenant.id` named; the trusted ingest's other rows take theirs from these. */
    const tenantRows = new Set<SpanRow>()
    for (const rs of request.resourceSpans) {
      const resource = emptyScan()
      scanAttributes(rs.resource.attributes, resource)
      for (const ss of rs.scopeSpans) {
        const scope = { name: ss.scope.name, version: ss.scope.version }
        for (const span of ss.spans) {
          const outcome = normalizeSpan({
            span,
            resource,
            scope,
            tenantId: ctx.tenantId,
            trustTenantAttribute: ctx.trustTenantAttribute,
            price: this.price,
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

  /**
   * Session and user found on any span of a trace fill the others of the same tenant (this
   * request and later ones). Each row's tenant is settled first and never changes afterwards.
   */
  private propagate(rows: SpanRow[], tenantRows: Set<SpanRow>, ctx: NormalizeContext): LateSession[] {
    if (ctx.trustTenantAttribute) this.trustedTenants.resolve(rows, tenantRows)
    const late: LateSession[] = []
    const byTrace = new Map<string, TraceContext & { tenantId: string; traceId: string }>()
    const ofRow: (TraceContext & { tenantId: string; traceId: string })[] = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!
      const key = traceKey(row.tenant_id, row.TraceId)
      let t = byTrace.get(key)
      if (!t) byTrace.set(key, (t = { session: '', user: '', tenantId: row.tenant_id, traceId: row.TraceId }))
      ofRow[i] = t
      if (!t.session) t.session = row.session_id
      if (!t.user) t.user = row.user_id
    }
    for (const [key, t] of byTrace) {
      const known = this.traces.get(key)
      if (known) {
        if (t.session && !known.session && known.orphans) {
          late.push({ tenantId: t.tenantId, traceId: t.traceId, sessionId: t.session, userId: t.user || known.user })
        }
        t.session ||= known.session
        t.user ||= known.user
      }
      // Remember traces stored without a session too, so a session that arrives later can be credited with them.
      this.traces.merge(key, { session: t.session, user: t.user, orphans: !t.session }, known)
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!
      const t = ofRow[i]!
      if (!row.session_id) row.session_id = t.session
      if (!row.user_id) row.user_id = t.user
    }
    return late
  }
}
