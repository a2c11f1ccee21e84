import type { Logger } from 'pino'
import { CollectorClient } from '../collector/client.ts'
import type { EvaluatorSettings } from './config.ts'
import type { EvaluationJob } from './jobs.ts'
import { createQueue } from './queue/index.ts'
import type { JobQueue, QueueJob } from './queue/types.ts'
import { createScorers } from './scorers/index.ts'
import { createEvaluationHandler } from './worker.ts'

export interface EvaluatorOptions {
  settings: EvaluatorSettings
  /** BullMQ on this Redis; without it the in-process queue. */
  redisUrl?: string
  /** Collector API token when `settings.collectorToken` is not set. */
  adminToken?: string
  logger?: Logger
  /** The queue to consume; default: `evaluationQueue(settings, redisUrl)` (shared in this process). */
  queue?: JobQueue<EvaluationJob>
  fetch?: typeof fetch
  onScored?: (job: QueueJob<EvaluationJob>, scores: number) => void
}

export interface RunningEvaluator {
  queue: JobQueue<EvaluationJob>
  close(): Promise<void>
}

const shared = new Map<string, { queue: JobQueue<EvaluationJob>; holders: number }>()

/**
 * The process-wide evaluation queue for these settings: the collector's enqueue hook and the
 * worker of one `loopgate start` must share the in-process queue, so it is created once. Each
 * caller gets a handle whose close() releases it; the queue closes with its last holder: under
 * `start` the worker stops before the collector, whose last writes must still enqueue.
 */
export function evaluationQueue(settings: EvaluatorSettings, redisUrl?: string): JobQueue<EvaluationJob> {
  const key = `${redisUrl ?? 'memory'}\u0000${settings.queue.name}`
  let held = shared.get(key)
  if (!held) shared.set(key, (held = { queue: createQueue<EvaluationJob>(settings.queue, redisUrl), holders: 0 }))
  held.holders++
  const { queue } = held
  let released = false
  return {
    kind: queue.kind,
    add: (jobs) => queue.add(jobs),
    consume: (handler, options) => queue.consume(handler, options),
    deadLetters: (limit) => queue.deadLetters(limit),
    replay: (ids) => queue.replay(ids),
    counts: () => queue.counts(),
    async close() {
      if (released) return
      released = true
      if (--held.holders > 0) return
      shared.delete(key)
      await queue.close()
    },
  }
}

/** Starts a worker that scores queued spans and writes the scores through the collector API. */
export async function start(options: EvaluatorOptions): Promise<RunningEvaluator> {
  const { settings, logger } = options
  const token = settings.collectorToken ?? options.adminToken
  if (!token)
    throw new Error(
      'evaluator: no token for the collector API; set adminToken (env LOOPGATE_ADMIN_TOKEN) or evaluator.collectorToken',
    )
  const queue = options.queue ?? evaluationQueue(settings, options.redisUrl)
  const client = new CollectorClient({ baseUrl: settings.collectorUrl, token, fetch: options.fetch })
  const handler = createEvaluationHandler({
    client,
    scorers: createScorers(settings, options.fetch),
    settings,
    onScored: options.onScored,
  })
  const logged: typeof handler = async (job) => {
    try {
      await handler(job)
    } catch (err) {
      logger?.[job.lastAttempt ? 'error' : 'warn'](
        { err, job: job.id, attempt: job.attempt },
        job.lastAttempt ? 'evaluation failed; dead-lettered' : 'evaluation failed; will retry',
      )
      throw err
    }
  }
  const consumer = queue.consume(logged, { concurrency: settings.queue.concurrency })
  logger?.info(
    { queue: queue.kind, collector: settings.collectorUrl, concurrency: settings.queue.concurrency },
    'evaluator started',
  )
  return {
    queue,
    async close() {
      await consumer.close()
      if (!options.queue) await queue.close()
    },
  }
}
