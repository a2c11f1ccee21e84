import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluatorConfigSchema } from '../../evaluator/config.ts'
import type { EvaluationJob } from '../../evaluator/jobs.ts'
import { evaluationQueue } from '../../evaluator/start.ts'
import { startRestartableRedis, type RestartableRedis } from './redis-server.ts'

/**
 * `loopgate start` shares one evaluation queue between the collector's enqueue hook and the
 * worker, and stops the worker first: the collector's last writes must still enqueue — into
 * Redis, where the next evaluator finds them, or into the in-process queue, which ends with the
 * process as documented — instead of failing on a queue the worker closed.
 */
let redis: RestartableRedis
beforeAll(async () => {
  redis = await startRestartableRedis()
})
afterAll(async () => redis?.stop())

const job = (id: string) => ({
  id,
  data: { span_id: id } as unknown as EvaluationJob,
})

describe('the process-wide evaluation queue', () => {
  for (const backend of ['memory', 'redis'] as const) {
    it(`${backend}: stays open until its last holder closes it`, async () => {
      const settings = evaluatorConfigSchema.parse({ queue: { name: `shared-${randomBytes(4).toString('hex')}` } })
      const url = backend === 'redis' ? redis.url : undefined
      const worker = evaluationQueue(settings, url)
      const hook = evaluationQueue(settings, url)
      await worker.close() // the worker stops first
      await worker.close() // a second close of the same handle releases nothing more
      await hook.add([job('late-1')]) // the collector's last write still enqueues
      expect((await hook.counts()).waiting).toBe(1)
      await hook.close()
      await expect(hook.add([job('late-2')])).rejects.toThrow(/closed/i)
      // The next holder gets a fresh queue: in Redis the late job is still there; in memory it ended with its queue.
      const next = evaluationQueue(settings, url)
      expect((await next.counts()).waiting).toBe(backend === 'redis' ? 1 : 0)
      await next.close()
    })
  }
})
