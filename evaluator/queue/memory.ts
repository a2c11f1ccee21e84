import type {
  ConsumeOptions,
  Consumer,
  DeadLetter,
  JobHandler,
  JobQueue,
  NewJob,
  QueueCounts,
  QueueOptions,
} from './types.ts'
import { retryDelayMs } from './types.ts'

interface Entry<T> {
  id: string
  data: T
  /** Deliveries so far. */
  attempts: number
}

interface Running {
  entry: Entry<unknown>
  abort: AbortController
  done: Promise<void>
}

/**
 * The in-process queue (embedded mode without Redis). Same contract as BullMQ, held in memory:
 * jobs do not survive the process, which is why the default deployment with Redis uses BullMQ.
 */
export class MemoryQueue<T> implements JobQueue<T> {
  readonly kind = 'memory' as const
  private readonly waiting: Entry<T>[] = []
  private readonly timers = new Map<string, { entry: Entry<T>; timer: NodeJS.Timeout }>()
  private readonly active = new Map<string, Entry<T>>()
  /** Insertion-ordered, trimmed to `keepCompleted`: remembered for de-duplication. */
  private readonly completed = new Set<string>()
  private readonly dead = new Map<string, DeadLetter<T>>()
  private readonly consumers = new Set<MemoryConsumer<T>>()
  private closed = false

  constructor(private readonly options: QueueOptions) {}

  async add(jobs: NewJob<T>[]): Promise<void> {
    if (this.closed) throw new Error('queue is closed')
    for (const job of jobs) {
      if (this.knows(job.id)) continue
      const entry: Entry<T> = { id: job.id, data: job.data, attempts: 0 }
      if (job.delayMs && job.delayMs > 0) this.later(entry, job.delayMs)
      else this.waiting.push(entry)
    }
    this.wake()
  }

  consume(handler: JobHandler<T>, options: ConsumeOptions = {}): Consumer {
    const consumer = new MemoryConsumer<T>(this, handler, options.concurrency ?? 1, this.options.shutdownTimeoutMs)
    this.consumers.add(consumer)
    consumer.pump()
    return {
      close: async () => {
        await consumer.close()
        this.consumers.delete(consumer)
      },
    }
  }

  async deadLetters(limit = 100): Promise<DeadLetter<T>[]> {
    return [...this.dead.values()].sort((a, b) => b.failedAtMs - a.failedAtMs).slice(0, limit)
  }

  async replay(ids?: string[]): Promise<number> {
    let n = 0
    for (const id of ids ?? [...this.dead.keys()]) {
      const d = this.dead.get(id)
      if (!d) continue
      this.dead.delete(id)
      this.waiting.push({ id, data: d.data, attempts: 0 })
      n++
    }
    this.wake()
    return n
  }

  async counts(): Promise<QueueCounts> {
    return {
      waiting: this.waiting.length,
      delayed: this.timers.size,
      active: this.active.size,
      completed: this.completed.size,
      dead: this.dead.size,
    }
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.consumers].map((c) => c.close()))
    this.consumers.clear()
    for (const { timer } of this.timers.values()) clearTimeout(timer)
  }

  // ── used by consumers ──

  take(): Entry<T> | undefined {
    const entry = this.waiting.shift()
    if (entry) this.active.set(entry.id, entry)
    return entry
  }

  succeeded(entry: Entry<T>): void {
    this.active.delete(entry.id)
    this.completed.add(entry.id)
    if (this.completed.size > this.options.keepCompleted) {
      const oldest = this.completed.values().next().value
      if (oldest !== undefined) this.completed.delete(oldest)
    }
    this.wake()
  }

  failed(entry: Entry<T>, err: unknown): void {
    this.active.delete(entry.id)
    if (entry.attempts < this.options.attempts) this.later(entry, retryDelayMs(this.options.backoffMs, entry.attempts))
    else
      this.dead.set(entry.id, {
        id: entry.id,
        data: entry.data,
        error: messageOf(err),
        attempts: entry.attempts,
        failedAtMs: Date.now(),
      })
    this.wake()
  }

  /** Shutdown gave up on this job: it goes back to the front of the queue, this delivery not counted. */
  returned(entry: Entry<T>): void {
    this.active.delete(entry.id)
    entry.attempts = Math.max(0, entry.attempts - 1)
    this.waiting.unshift(entry)
    this.wake()
  }

  get maxAttempts(): number {
    return this.options.attempts
  }

  private knows(id: string): boolean {
    return (
      this.active.has(id) ||
      this.timers.has(id) ||
      this.completed.has(id) ||
      this.dead.has(id) ||
      this.waiting.some((e) => e.id === id)
    )
  }

  private later(entry: Entry<T>, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(entry.id)
      this.waiting.push(entry)
      this.wake()
    }, ms)
    timer.unref()
    this.timers.set(entry.id, { entry, timer })
  }

  private wake(): void {
    for (const c of this.consumers) c.pump()
  }
}

class MemoryConsumer<T> {
  private readonly running = new Map<string, Running>()
  private stopping = false

  constructor(
    private readonly queue: MemoryQueue<T>,
    private readonly handler: JobHandler<T>,
    private readonly concurrency: number,
    private readonly shutdownTimeoutMs: number,
  ) {}

  pump(): void {
    while (!this.stopping && this.running.size < this.concurrency) {
      const entry = this.queue.take()
      if (!entry) return
      this.run(entry)
    }
  }

  private run(entry: Entry<T>): void {
    entry.attempts++
    const abort = new AbortController()
    const job = {
      id: entry.id,
      data: entry.data,
      attempt: entry.attempts,
      lastAttempt: entry.attempts >= this.queue.maxAttempts,
      signal: abort.signal,
    }
    const done = Promise.resolve()
      .then(() => this.handler(job))
      .then(
        () => {
          if (!abort.signal.aborted) this.queue.succeeded(entry)
        },
        (err: unknown) => {
          if (!abort.signal.aborted) this.queue.failed(entry, err)
        },
      )
      .finally(() => {
        this.running.delete(entry.id)
        this.pump()
      })
    this.running.set(entry.id, { entry: entry as Entry<unknown>, abort, done })
  }

  async close(): Promise<void> {
    this.stopping = true
    const all = Promise.all([...this.running.values()].map((r) => r.done))
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.shutdownTimeoutMs))),
    ])
    clearTimeout(timer)
    if (!timedOut) return
    for (const r of this.running.values()) {
      r.abort.abort(new Error('worker shutting down'))
      this.queue.returned(r.entry as Entry<T>)
    }
    this.running.clear()
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err))
