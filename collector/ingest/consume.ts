import type { Logger } from 'pino'
import type { CollectorMetrics } from '../metrics.ts'
import { Normalizer, type LateSession, type NormalizeContext, type NormalizeResult } from '../normalize/index.ts'
import type { ExportRequest, TextKeyValue } from '../otlp/decode.ts'
import { creditLateSessions } from '../storage/late-sessions.ts'
import type { SpanRow } from '../storage/span-row.ts'
import type { Store } from '../storage/store.ts'
import { WriterBusyError, WriterUnavailableError, type SpanWriter } from '../storage/writer.ts'
import type { SpanDeduplicator } from './dedup.ts'
import { IngestError } from './errors.ts'

export interface IngestDeps {
  store: Store
  writer: SpanWriter
  dedup: SpanDeduplicator
  metrics: CollectorMetrics
  logger: Logger
  /** Spans older than this are refused: the TTL would delete them on arrival. */
  retentionDays: number
  onStored?: (rows: SpanRow[]) => void | Promise<void>
}

export interface ConsumeResult {
  /** Spans refused (bad ids, outside retention); the others were stored. */
  rejected: number
  /** Reasons for the refused spans, for OTLP partial success. */
  errors: string[]
  /** Spans written by this request. */
  stored: number
  /** Spans already stored (or being stored by another request): acknowledged, not written again. */
  duplicates: number
  /** Tenants of the spans written by this request. */
  tenants: string[]
}

/**
 * The ingest step behind the OTLP receiver: normalizes a decoded request for its tenant, drops
 * spans already stored, writes the rest and resolves once they are durable. It throws only
 * IngestError (retryable, with a Retry-After) for work it could not do, or a plain error for a bug.
 */
export class Ingest {
  private readonly normalizer = new Normalizer()

  constructor(private readonly deps: IngestDeps) {}

  /**
   * Normalizes and claims synchronously, then awaits the write. The decoded request and its rows
   * are not held while the INSERT runs (only counts, and the rows for `onStored` when set): under
   * a flood, rows that lived that long would be promoted by the GC and grow the heap.
   */
  async consume(request: ExportRequest<TextKeyValue>, tenant: NormalizeContext): Promise<ConsumeResult> {
    return this.finish(this.start(request, tenant))
  }

  private start(request: ExportRequest<TextKeyValue>, tenant: NormalizeContext) {
    const { rows, rejected, errors, lateSessions } = this.withinRetention(this.normalizer.normalize(request, tenant))
    if (rejected > 0) this.deps.metrics.spansRefused.inc({ reason: 'invalid' }, rejected)
    const { fresh, duplicates, ...claim } = this.deps.dedup.claim(rows)
    return {
      claim, // without the rows
      writing: this.deps.writer.write(fresh), // encodes the rows at once; the INSERT follows
      rejected,
      errors,
      stored: fresh.length,
      duplicates,
      perTenant: countByTenant(fresh),
      late: duplicates > 0 ? onlyWritten(lateSessions, fresh) : lateSessions,
      forHook: this.deps.onStored && fresh.length > 0 ? fresh : undefined,
    }
  }

  private async finish(p: ReturnType<Ingest['start']>): Promise<ConsumeResult> {
    const { metrics } = this.deps
    try {
      await p.writing
    } catch (err) {
      p.claim.release(err as Error)
      throw this.refusal(err, p.stored)
    }
    p.claim.commit()
    try {
      await p.claim.others
    } catch (err) {
      // Spans of this request were in another request's write, which failed: the client re-sends.
      throw new IngestError(
        'unavailable',
        `storage is unavailable: ${(err as Error).message}; retry after the given delay`,
        1,
        { cause: err },
      )
    }
    if (p.duplicates > 0) metrics.spansDuplicate.inc(p.duplicates)
    for (const [tenant, n] of p.perTenant) metrics.spansAccepted.inc({ tenant }, n)
    if (p.late.length > 0) {
      await creditLateSessions(this.deps.store, p.late).catch((err) =>
        this.deps.logger.error({ err }, 'crediting late sessions failed'),
      )
    }
    if (p.forHook) this.notifyStored(p.forHook)
    return {
      rejected: p.rejected,
      errors: p.errors,
      stored: p.stored,
      duplicates: p.duplicates,
      tenants: [...p.perTenant.keys()],
    }
  }

  private refusal(err: unknown, rows: number): unknown {
    const { metrics } = this.deps
    if (err instanceof WriterBusyError) {
      metrics.spansRefused.inc({ reason: 'backpressure' }, rows)
      return new IngestError(
        'backpressure',
        'ingest buffer is full; retry after the given delay',
        err.retryAfterSeconds,
        { cause: err },
      )
    }
    if (err instanceof WriterUnavailableError) {
      metrics.spansRefused.inc({ reason: 'unavailable' }, rows)
      return new IngestError('unavailable', `${err.message}; retry after the given delay`, err.retryAfterSeconds, {
        cause: err,
      })
    }
    return err
  }

  /** Refuses (as partial success, with a reason) spans that retention would delete on arrival. */
  private withinRetention(result: NormalizeResult): NormalizeResult {
    const days = this.deps.retentionDays
    // Whole milliseconds compare exactly (the cutoff is one): a span starts at or after it iff its
    // nanoseconds without their last six digits do, and those fit a double, so no BigInt per row.
    const cutoffMs = Date.now() - days * 86_400_000
    const kept = result.rows.filter((r) => (r.Timestamp.length > 6 ? Number(r.Timestamp.slice(0, -6)) : 0) >= cutoffMs)
    const expired = result.rows.length - kept.length
    if (expired === 0) return result
    const reason = `${expired} span(s) start before the ${days}-day retention window`
    return { ...result, rows: kept, rejected: result.rejected + expired, errors: [...result.errors, reason] }
  }

  private notifyStored(rows: SpanRow[]): void {
    Promise.resolve()
      .then(() => this.deps.onStored!(rows))
      .catch((err) => this.deps.logger.error({ err }, 'onStored hook failed'))
  }
}

function countByTenant(rows: SpanRow[]): Map<string, number> {
  const perTenant = new Map<string, number>()
  for (const r of rows) perTenant.set(r.tenant_id, (perTenant.get(r.tenant_id) ?? 0) + 1)
  return perTenant
}

/** A late session is credited by the request that stores its root; a re-sent root was credited already. */
function onlyWritten(late: LateSession[], written: SpanRow[]): LateSession[] {
  if (late.length === 0) return late
  const traces = new Set(written.map((r) => `${r.tenant_id}\u0000${r.TraceId}`))
  return late.filter((s) => traces.has(`${s.tenantId}\u0000${s.traceId}`))
}
