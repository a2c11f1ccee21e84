import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { Logger } from 'pino'
import type { DeliveryStats, LossReason } from './delivery-stats.ts'
import type { BatchTransport, EncodedBatch } from './encoding-span-processor.ts'
import type { OtlpHttpSender, SendOutcome } from './otlp-sender.ts'
import type { SpanSpool } from './span-spool.ts'

export interface SpoolingOptions {
  /** One attempt's limit. */
  timeoutMs: number
  /** Longest wait between tries while the endpoint is away. */
  maxBackoffMs: number
  /** One replay POST carries several spooled batches up to these bounds (the live batches' own). */
  replayMaxBytes: number
  replayMaxSpans: number
}

const FIRST_BACKOFF_MS = 500
const JITTER = 0.2
/** A Retry-After is honoured up to this long. */
const MAX_RETRY_AFTER_MS = 5 * 60_000

const OK: ExportResult = { code: ExportResultCode.SUCCESS }
/** Already counted and logged here: the processor need not report it again. */
const LOST: ExportResult = {
  code: ExportResultCode.FAILED,
  error: new Error('spans lost (see loopgate_gateway_spans_lost_total)'),
}

/**
 * Delivery to one OTLP endpoint, after the OpenTelemetry Collector's persistent sending queue, but
 * off the hot path: while the endpoint acknowledges, a batch is one POST and never touches the disk.
 * A batch it did not acknowledge (connection, timeout, 429, 5xx…) goes to the spool, and so does
 * every batch after it while the endpoint is away. The spool is replayed oldest first, one POST in
 * flight (several batches concatenated, up to a live batch's bounds), with backoff and jitter or the
 * endpoint's Retry-After; a file is deleted after a 2xx. The
 * first acknowledged replay sends new batches straight again while the backlog drains behind them.
 * Spans are lost only when the spool is full (or off, or the disk fails), or when the endpoint
 * refuses the batch itself (400/413/415); each is counted and logged once per episode.
 *
 * A batch that timed out may have been stored after all; sent again from the spool, the collector
 * keeps one copy (it deduplicates by tenant, trace id and span id).
 */
export class SpoolingTransport implements BatchTransport {
  private away = false
  private closing: 'no' | 'grace' | 'now' = 'no'
  private failures = 0
  private nextTryAt = 0
  private replaying: Promise<void> | undefined
  private readonly stopReplay = new AbortController()
  private wake: (() => void) | undefined
  private graceTimer: NodeJS.Timeout | undefined
  private readonly episodes = new Map<string, { spans: number; since: number }>()
  private awaySince = 0
  /** After a group was refused, batches up to this sequence are replayed one by one to find the bad one. */
  private singleUntil = -1

  constructor(
    private readonly sender: OtlpHttpSender,
    private readonly spool: SpanSpool | undefined,
    private readonly stats: DeliveryStats,
    private readonly log: Logger,
    private readonly options: SpoolingOptions,
  ) {
    stats.spool = spool
    if (spool && spool.batches > 0) {
      log.info(
        { endpoint: stats.endpoint, batches: spool.batches, spans: spool.spans, bytes: spool.bytes },
        'replaying span batches spooled by an earlier run',
      )
      this.kick()
    }
  }

  export(batch: EncodedBatch, done: (result: ExportResult) => void): void {
    if (this.spool && (this.away || this.closing === 'now')) void this.keep(batch).then(done)
    else if (this.closing === 'now')
      done(this.lose('not_acknowledged', batch.spans, 'the gateway closed before the endpoint acknowledged the batch'))
    else void this.sendNow(batch).then(done)
  }

  /** Spans the processor could not queue (`maxQueueSize`): counted here, with this endpoint's other losses. */
  droppedInMemory(spans: number): void {
    this.lose('queue_full', spans, `more than maxQueueSize spans waited in memory`)
  }

  /** The processor queues spans again. */
  memoryHasRoom(): void {
    this.endEpisode('queue_full', 'spans fit in memory again')
  }

  /**
   * Close begins: replaying stops at once (a file in flight stays and is sent after the restart);
   * batches still being sent get `graceMs` to be acknowledged, then go to the spool.
   */
  beginClose(graceMs: number): void {
    if (this.closing !== 'no') return
    this.closing = 'grace'
    this.stopReplay.abort(new Error('the gateway is closing'))
    this.wake?.()
    this.graceTimer = setTimeout(() => this.closeNow(), graceMs).unref()
  }

  async shutdown(): Promise<void> {
    this.beginClose(0)
    this.closeNow()
    await this.replaying
    await this.spool?.settled()
    this.spool?.release()
    await this.sender.close()
  }

  private closeNow(): void {
    clearTimeout(this.graceTimer)
    this.closing = 'now'
    this.sender.abortAll('the gateway is closing')
  }

  private async sendNow(batch: EncodedBatch): Promise<ExportResult> {
    const outcome = await this.sender.send(batch.body, this.options.timeoutMs)
    if (outcome.kind === 'stored') {
      this.stored(outcome)
      return OK
    }
    if (outcome.kind === 'refused') return this.refused(batch.spans, outcome.reason)
    if (!this.spool) return this.lose('not_acknowledged', batch.spans, outcome.reason)
    this.wentAway(outcome)
    return this.keep(batch)
  }

  /** Into the spool; counted as lost when it has no room or the disk fails. */
  private async keep(batch: EncodedBatch): Promise<ExportResult> {
    const spool = this.spool!
    try {
      if ((await spool.append(batch.body, batch.spans)) === 'full') {
        return this.lose('spool_full', batch.spans, `the span spool holds ${spool.bytes} bytes (spool.maxBytes)`)
      }
    } catch (err) {
      return this.lose('spool_write_failed', batch.spans, (err as Error).message)
    }
    this.stats.spooled += batch.spans
    this.endEpisode('spool_write_failed', 'span spool writes work again')
    this.kick()
    return OK
  }

  private kick(): void {
    if (this.replaying || !this.spool || this.closing !== 'no') return
    this.replaying = this.replay().finally(() => {
      this.replaying = undefined
      if (this.spool!.batches > 0) this.kick()
    })
  }

  /** Oldest first, one in flight, until the spool is empty or the gateway closes. */
  private async replay(): Promise<void> {
    const spool = this.spool!
    for (;;) {
      if (this.closing !== 'no') return
      const entry = spool.oldest()
      if (!entry) return
      const wait = this.nextTryAt - Date.now()
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait)
          this.wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        this.wake = undefined
        continue
      }
      // Encoded ExportTraceServiceRequests concatenate into one: protobuf appends repeated fields.
      const group =
        entry.seq <= this.singleUntil
          ? [entry]
          : spool.oldestGroup(this.options.replayMaxBytes, this.options.replayMaxSpans)
      const bodies: Uint8Array[] = []
      try {
        for (const e of group) bodies.push(await spool.read(e))
      } catch (err) {
        const bad = group[bodies.length]!
        await spool.remove(bad).catch(() => undefined)
        this.lose('spool_unreadable', bad.spans, (err as Error).message)
        continue
      }
      const outcome = await this.sender.send(
        bodies.length === 1 ? bodies[0]! : Buffer.concat(bodies),
        this.options.timeoutMs,
        this.stopReplay.signal,
      )
      if (outcome.kind === 'retry') {
        if (this.closing !== 'no') return // the files stay for the next start
        this.wentAway(outcome)
        continue
      }
      if (outcome.kind === 'refused' && group.length > 1) {
        this.singleUntil = group.at(-1)!.seq
        continue
      }
      const spans = group.reduce((n, e) => n + e.spans, 0)
      for (const e of group) {
        await spool
          .remove(e)
          .catch((err: Error) =>
            this.log.error(
              { endpoint: this.stats.endpoint, err: err.message },
              'could not delete a delivered span batch from the spool; it will be sent again after a restart',
            ),
          )
      }
      if (outcome.kind === 'stored') {
        this.stats.replayed += spans
        this.stored(outcome)
      } else {
        this.refused(spans, outcome.reason)
      }
    }
  }

  /** The endpoint answered: new batches go straight to it again. */
  private stored(outcome: Extract<SendOutcome, { kind: 'stored' }>): void {
    if (outcome.rejectedSpans > 0) this.lose('rejected', outcome.rejectedSpans, outcome.message)
    else this.endEpisode('rejected', 'the span endpoint accepts every span again')
    this.endEpisode('refused', 'the span endpoint accepts batches again')
    this.endEpisode('not_acknowledged', 'the span endpoint acknowledges batches again')
    this.answers()
  }

  private refused(spans: number, reason: string): ExportResult {
    this.answers()
    return this.lose('refused', spans, reason)
  }

  private answers(): void {
    this.failures = 0
    this.nextTryAt = 0
    if (!this.away) return
    this.away = false
    // Ends here, not at the next batch that fits: while the endpoint is away the spool only fills.
    this.endEpisode('spool_full', 'span endpoint answers again: the span spool drains')
    this.log.info(
      {
        endpoint: this.stats.endpoint,
        awaySeconds: Math.round((Date.now() - this.awaySince) / 1000),
        spooledBatches: this.spool?.batches ?? 0,
      },
      'span endpoint answers again: sending new batches to it, replaying the spool behind them',
    )
  }

  private wentAway(outcome: Extract<SendOutcome, { kind: 'retry' }>): void {
    const backoff =
      Math.min(this.options.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** this.failures) *
      (1 + JITTER * (Math.random() * 2 - 1))
    this.failures = Math.min(this.failures + 1, 30)
    // `Retry-After: 0` would make a tight loop: the backoff applies then.
    this.nextTryAt = Date.now() + (outcome.retryAfterMs ? Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS) : backoff)
    if (this.away || this.closing !== 'no') {
      this.away = true
      return
    }
    this.away = true
    this.awaySince = Date.now()
    this.log.warn(
      { endpoint: this.stats.endpoint, reason: outcome.reason },
      'span endpoint did not acknowledge a batch: spooling span batches to disk until it answers',
    )
  }

  /** Counts the loss; the first of an episode is logged, the episode's end says how many were lost. */
  private lose(reason: LossReason, spans: number, detail: string): ExportResult {
    this.stats.addLost(reason, spans)
    const episode = this.episodes.get(reason)
    if (episode) {
      episode.spans += spans
      return LOST
    }
    this.episodes.set(reason, { spans, since: Date.now() })
    this.log.error({ endpoint: this.stats.endpoint, reason, detail }, messages[reason])
    return LOST
  }

  private endEpisode(reason: LossReason, message: string): void {
    const episode = this.episodes.get(reason)
    if (!episode) return
    this.episodes.delete(reason)
    this.log.info(
      {
        endpoint: this.stats.endpoint,
        reason,
        lostSpans: episode.spans,
        seconds: Math.round((Date.now() - episode.since) / 1000),
      },
      message,
    )
  }
}

const messages: Record<LossReason, string> = {
  spool_full:
    'span spool full: span batches are lost (counted in loopgate_gateway_spans_lost_total) until it has room again',
  not_acknowledged:
    'span endpoint did not acknowledge a batch and the spool is off: spans are lost (counted in loopgate_gateway_spans_lost_total)',
  refused:
    'span endpoint refused a batch as invalid; it is not sent again (counted in loopgate_gateway_spans_lost_total)',
  rejected:
    'span endpoint rejected spans of a batch (OTLP partial success; counted in loopgate_gateway_spans_lost_total)',
  queue_full:
    'more spans waited in memory than telemetry.maxQueueSize: spans are lost (counted in loopgate_gateway_spans_lost_total)',
  spool_write_failed:
    'could not write a span batch to the spool: spans are lost (counted in loopgate_gateway_spans_lost_total)',
  spool_unreadable:
    'could not read a spooled span batch: its spans are lost (counted in loopgate_gateway_spans_lost_total)',
}
