import type { EvaluatorSettings } from '../config.ts'
import { BullQueue, type BullQueueOptions } from './bullmq.ts'
import { MemoryQueue } from './memory.ts'
import type { JobQueue } from './types.ts'

export type * from './types.ts'
export { BullQueue, type BullQueueOptions } from './bullmq.ts'
export { MemoryQueue } from './memory.ts'

/** BullMQ when a Redis URL is given, otherwise the in-process queue (embedded mode). */
export function createQueue<T>(
  settings: EvaluatorSettings['queue'],
  redisUrl?: string,
  extra: Partial<Pick<BullQueueOptions, 'prefix' | 'lockDurationMs' | 'stalledIntervalMs' | 'maxStalledCount'>> = {},
): JobQueue<T> {
  const options = {
    attempts: settings.attempts,
    backoffMs: settings.backoffMs,
    keepCompleted: settings.keepCompleted,
    shutdownTimeoutMs: settings.shutdownTimeoutMs,
  }
  if (redisUrl) return new BullQueue<T>({ ...options, ...extra, redisUrl, name: settings.name })
  return new MemoryQueue<T>(options)
}
