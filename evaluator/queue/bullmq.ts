import { Queue, WaitingError, Worker, type Job } from 'bullmq'
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

export interface BullQueueOptions extends QueueOptions {
  redisUrl: string
  name: string
  /** Redis key prefix (default `bull`); tests use one per run. */
  prefix?: string
  /** A job whose worker stopped renewing its lock for this long is taken back (worker crash recovery). */
  lockDurationMs?: number
  stalledIntervalMs?: number
  /** How often a job may be taken back from a crashed or stuck worker before it is dead-lettered. */
  maxStalledCount?: number
}

/**
 * BullMQ on Redis. Dead letters are BullMQ's `failed` set (kept, never trimmed); completed jobs
 * are kept up to `keepCompleted` so a re-added id within that window is a no-op.
 */
export class BullQueue<T> implements JobQueue<T> {
  readonly kind = 'bullmq' as const
  private readonly queue: Queue
  /** Each worker with the abort controllers of its in-flight jobs. */
  private readonly workers = new Map<Worker, Set<AbortController>>()
  private readonly connection: Record<string, unknown>

  constructor(private readonly options: BullQueueOptions) {
    // maxRetriesPerRequest null: commands wait across a Redis restart instead of failing.
    this.connection = {
      url: options.redisUrl,
      maxRetriesPerRequest: null,
      retryStrategy: (n: number) => Math.min(100 * n, 2_000),
    }
    this.queue = new Queue(options.name, {
      connection: this.connection,
      prefix: options.prefix,
      defaultJobOptions: {
        attempts: options.attempts,
        backoff: { type: 'exponential', delay: options.backoffMs },
        removeOnComplete: { count: options.keepCompleted },
        removeOnFail: false,
      },
    })
    this.queue.on('error', () => {}) // connection errors are retried by ioredis; callers see failed commands
  }

  async add(jobs: NewJob<T>[]): Promise<void> {
    if (jobs.length === 0) return
    await this.queue.addBulk(
      jobs.map((j) => ({ name: 'evaluate', data: j.data, opts: { jobId: j.id, delay: j.delayMs ?? 0 } })),
    )
  }

  consume(handler: JobHandler<T>, options: ConsumeOptions = {}): Consumer {
    const inFlight = new Set<AbortController>()
    const worker = new Worker(
      this.options.name,
      async (job: Job, token?: string) => {
        const abort = new AbortController()
        inFlight.add(abort)
        const attempt = job.attemptsMade + 1
        try {
          const aborted = new Promise<'aborted'>((resolve) =>
            abort.signal.addEventListener('abort', () => resolve('aborted')),
          )
          const run = handler({
            id: job.id ?? '',
            data: job.data as T,
            attempt,
            lastAttempt: attempt >= this.options.attempts,
            signal: abort.signal,
          })
          run.catch(() => {}) // after an abort its outcome no longer matters
          if ((await Promise.race([run, aborted])) === 'aborted') {
            // Shutdown gave up on this job: back to waiting, this attempt not counted.
            await job.moveToWait(token)
            throw new WaitingError()
          }
        } finally {
          inFlight.delete(abort)
        }
      },
      {
        connection: this.connection,
        prefix: this.options.prefix,
        concurrency: options.concurrency ?? 1,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: this.options.stalledIntervalMs ?? 30_000,
        maxStalledCount: this.options.maxStalledCount ?? 3,
        removeOnComplete: { count: this.options.keepCompleted },
      },
    )
    worker.on('error', () => {}) // reconnects on its own; an unhandled 'error' event would crash the process
    this.workers.set(worker, inFlight)
    return {
      close: async () => {
        await this.closeWorker(worker, inFlight)
        this.workers.delete(worker)
      },
    }
  }

  async deadLetters(limit = 100): Promise<DeadLetter<T>[]> {
    const jobs = await this.queue.getFailed(0, Math.max(0, limit - 1))
    return jobs.map((j) => ({
      id: j.id ?? '',
      data: j.data as T,
      error: j.failedReason ?? '',
      attempts: j.attemptsMade,
      failedAtMs: j.finishedOn ?? j.processedOn ?? j.timestamp,
    }))
  }

  async replay(ids?: string[]): Promise<number> {
    const jobs = ids
      ? (await Promise.all(ids.map((id) => this.queue.getJob(id)))).filter((j): j is Job => j !== undefined)
      : await this.queue.getFailed(0, -1)
    let n = 0
    for (const job of jobs) {
      if ((await job.getState()) !== 'failed') continue
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
      n++
    }
    return n
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed')
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      delayed: c.delayed ?? 0,
      active: c.active ?? 0,
      completed: c.completed ?? 0,
      dead: c.failed ?? 0,
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map(([w, inFlight]) => this.closeWorker(w, inFlight)))
    this.workers.clear()
    await closeWithin(this.queue.close(), QUIT_GRACE_MS, () => this.queue.disconnect())
  }

  /** Removes every key of this queue (tests and benchmarks). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true })
  }

  /** Waits for in-flight jobs up to the shutdown timeout, then aborts them, which returns them to waiting. */
  private async closeWorker(worker: Worker, inFlight: Set<AbortController>): Promise<void> {
    const timer = setTimeout(() => {
      for (const abort of inFlight) abort.abort(new Error('worker shutting down'))
    }, this.options.shutdownTimeoutMs)
    try {
      await closeWithin(worker.close(), (inFlight.size ? this.options.shutdownTimeoutMs : 0) + QUIT_GRACE_MS, () =>
        worker.disconnect(),
      )
    } finally {
      clearTimeout(timer)
    }
  }
}

/** How long a graceful close may wait for Redis to answer its QUIT. */
const QUIT_GRACE_MS = 1_000

/**
 * A graceful close sends QUIT, which waits for Redis for ever when Redis is down (commands wait
 * across reconnects here). Past `ms`, the connection is dropped instead, so a process can stop.
 */
async function closeWithin(closing: Promise<void>, ms: number, disconnect: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, ms, 'late')))
  const outcome = await Promise.race([closing.then(() => 'closed' as const), late])
  clearTimeout(timer)
  if (outcome === 'late') {
    closing.catch(() => {})
    disconnect().catch(() => {}) // not awaited: a client dropped while reconnecting may never report its end
  }
}
