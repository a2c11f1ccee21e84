import type { Logger } from 'pino'
import type { CollectorSettings } from '../config.ts'
import type { CollectorMetrics } from '../metrics.ts'
import { encodeNativeBlock } from './native-block.ts'
import { spanColumns } from './span-columns.ts'
import type { SpanRow } from './span-row.ts'
import type { Store } from './store.ts'

const spanColumnNames = spanColumns.map((c) => c.name)

/** The buffer is full: the caller should answer 429 and retry after `retryAfterSeconds`. */
export class WriterBusyError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('ingest buffer is full')
  }
}

/** ClickHouse refused or failed the insert: the caller should answer 503; nothing was stored for this request. */
export class WriterUnavailableError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    cause: unknown,
  ) {
    super(`storage is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}

interface Waiting {
  rows: number
  /** The request's rows as a Native block, encoded on arrival so the INSERT only concatenates blocks. */
  data: Buffer
  resolve(): void
  reject(err: Error): void
}

/**
 * Group commit: requests that arrive while an INSERT runs, or within `lingerMs` before the next
 * one starts, share that INSERT; each is acknowledged only once its rows are inserted. So an
 * acknowledged span is stored, and an unacknowledged one is retried by its exporter.
 *
 * The linger also runs between back-to-back INSERTs: exporters acknowledged by one INSERT send
 * their next batch at once, and without the wait those would always miss the next INSERT, which
 * would then carry only half of what is in flight. Every INSERT has a fixed cost in ClickHouse
 * (its parts, its materialized views), so fewer, larger INSERTs are cheaper per span.
 */
export class SpanWriter {
  private queue: Waiting[] = []
  private pendingRows = 0
  private flushing = false
  private lingerTimer: NodeJS.Timeout | undefined
  private lastInsertMs = 50

  constructor(
    private readonly store: Store,
    private readonly options: CollectorSettings['writer'],
    private readonly metrics: CollectorMetrics,
    private readonly logger: Logger,
  ) {}

  get pending(): number {
    return this.pendingRows
  }

  write(rows: SpanRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve()
    if (this.pendingRows > 0 && this.pendingRows + rows.length > this.options.maxPendingRows) {
      const batches = Math.ceil(this.pendingRows / this.options.maxBatchRows)
      return Promise.reject(new WriterBusyError(Math.max(1, Math.ceil((batches * this.lastInsertMs) / 1000))))
    }
    let data: Buffer
    try {
      data = encodeNativeBlock(spanColumns, rows)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows: rows.length, data, resolve, reject })
      this.pendingRows += rows.length
      this.metrics.bufferDepth.set(this.pendingRows)
      this.schedule()
    })
  }

  /** Starts the next INSERT after the linger, or at once when a full batch waits. */
  private schedule(): void {
    if (this.flushing || this.queue.length === 0) return
    const full = this.pendingRows >= this.options.maxBatchRows
    if (this.lingerTimer && !full) return
    clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    if (full || this.options.lingerMs === 0) return void this.flushOne()
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined
      void this.flushOne()
    }, this.options.lingerMs)
  }

  private async flushOne(): Promise<void> {
    this.flushing = true
    try {
      await this.insertBatch(this.takeBatch())
    } finally {
      this.flushing = false
      this.schedule()
    }
  }

  private takeBatch(): Waiting[] {
    const batch: Waiting[] = []
    let rows = 0
    while (this.queue.length > 0) {
      const next = this.queue[0]!
      if (batch.length > 0 && rows + next.rows > this.options.maxBatchRows) break
      batch.push(this.queue.shift()!)
      rows += next.rows
    }
    return batch
  }

  private async insertBatch(batch: Waiting[]): Promise<void> {
    try {
      await this.insert(batch)
      for (const w of batch) this.settle(w)
    } catch (err) {
      // One bad request must not fail the others it was grouped with: retry each alone.
      if (batch.length > 1) {
        for (const w of batch) await this.insertBatch([w])
        return
      }
      this.logger.error({ err, rows: batch[0]!.rows }, 'span insert failed')
      this.settle(batch[0]!, new WriterUnavailableError(Math.max(1, Math.ceil(this.lastInsertMs / 1000)), err))
    }
  }

  private settle(w: Waiting, err?: Error): void {
    this.pendingRows -= w.rows
    this.metrics.bufferDepth.set(this.pendingRows)
    if (err) w.reject(err)
    else w.resolve()
  }

  private async insert(batch: Waiting[]): Promise<void> {
    const started = performance.now()
    const data = batch.length === 1 ? batch[0]!.data : Buffer.concat(batch.map((w) => w.data))
    await this.store.insertNative(this.store.table('spans'), spanColumnNames, data)
    const ms = performance.now() - started
    this.lastInsertMs = 0.8 * this.lastInsertMs + 0.2 * ms
    this.metrics.insertSeconds.observe(ms / 1000)
    this.metrics.insertRows.observe(batch.reduce((n, w) => n + w.rows, 0))
  }

  /** Waits for every accepted row to be inserted (or refused). */
  async close(): Promise<void> {
    while (this.flushing) await new Promise((r) => setTimeout(r, 5))
    clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    this.flushing = true
    try {
      while (this.queue.length > 0) await this.insertBatch(this.takeBatch())
    } finally {
      this.flushing = false
    }
  }
}
