import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { BullQueue } from '../../evaluator/queue/bullmq.ts'
import { startRestartableRedis, type RestartableRedis } from './redis-server.ts'
import { queueContract } from './queue-contract.ts'

let redis: RestartableRedis
beforeAll(async () => {
  redis = await startRestartableRedis()
})
afterAll(async () => {
  await redis?.stop()
})

queueContract(
  'BullMQ on redis-server',
  async (options) =>
    new BullQueue({
      ...options,
      redisUrl: redis.url,
      name: `contract-${randomBytes(4).toString('hex')}`,
      // short locks so a job abandoned by shutdown comes back quickly
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
    }),
)
