// PLACEHOLDER — the normalizer work replaces this file (keep these exports and signatures).
import type { ExportRequest } from '../otlp/decode.ts'
import type { SpanRow } from '../storage/span-row.ts'

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
}

export class Normalizer {
  normalize(_request: ExportRequest, _ctx: NormalizeContext): NormalizeResult {
    return { rows: [], rejected: 0, errors: [] }
  }
}
