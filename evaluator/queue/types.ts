/**
 * The job queue contract shared by the BullMQ and the in-process implementation:
 * at-least-once delivery, retries with exponential backoff, a dead-letter list that can be
 * inspected and replayed, graceful shutdown. Ordering is not promised.
 */

export interface NewJob<T> {
  /** Idempotency key: adding an id the queue already holds (waiting, active, done or dead) adds nothing. */
  id: string
  data: T
  /** Not delivered before this many milliseconds have passed. */
  delayMs?: number
}

export interface QueueJob<T> {
  id: string
  data: T
  /** 1 on the first delivery. */
  attempt: number
  /** True when a failure now sends the job to the dead-letter list. */
  lastAttempt: boolean
  /** Aborted when shutdown gives up waiting for this job (it is then returned to the queue). */
  signal: AbortSignal
}

export interface DeadLetter<T> {
  id: string
  data: T
  /** The last error's message. */
  error: string
  attempts: number
  failedAtMs: number
}

export interface QueueCounts {
  waiting: number
  delayed: number
  active: number
  completed: number
  dead: number
}

export type JobHandler<T> = (job: QueueJob<T>) => Promise<void>

export interface ConsumeOptions {
  /** Jobs handled at once by this consumer. */
  concurrency?: number
}

export interface Consumer {
  /** Stops taking jobs; waits for in-flight ones up to the queue's shutdown timeout, then returns them. */
  close(): Promise<void>
}

export interface JobQueue<T> {
  readonly kind: 'bullmq' | 'memory'
  /** Resolves once every job is durably queued (for BullMQ: written to Redis). */
  add(jobs: NewJob<T>[]): Promise<void>
  consume(handler: JobHandler<T>, options?: ConsumeOptions): Consumer
  /** Jobs that failed every attempt, newest first. */
  deadLetters(limit?: number): Promise<DeadLetter<T>[]>
  /** Puts dead jobs (all, or the given ids) back to waiting with fresh attempts; returns how many. */
  replay(ids?: string[]): Promise<number>
  counts(): Promise<QueueCounts>
  /** Closes every consumer (gracefully) and the queue's connections. */
  close(): Promise<void>
}

export interface QueueOptions {
  attempts: number
  backoffMs: number
  keepCompleted: number
  shutdownTimeoutMs: number
}

/** Delay before the retry that follows attempt `attempt` (1-based): backoff × 2^(attempt−1). */
export const retryDelayMs = (backoffMs: number, attempt: number): number => backoffMs * 2 ** Math.max(0, attempt - 1)
