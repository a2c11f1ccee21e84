// A separate evaluator worker process for the crash test: `node bin/run-ts.mjs test/evaluator/worker-child.ts`.
// Env: REDIS_URL, QUEUE_NAME, COLLECTOR_URL, COLLECTOR_TOKEN. Prints "ready" once consuming.
import { evaluatorConfigSchema } from '../../evaluator/config.ts'
import type { EvaluationJob } from '../../evaluator/jobs.ts'
import { BullQueue } from '../../evaluator/queue/bullmq.ts'
import { start } from '../../evaluator/start.ts'

const env = (name: string) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is required`)
  return v
}
const settings = evaluatorConfigSchema.parse({
  collectorUrl: env('COLLECTOR_URL'),
  collectorToken: env('COLLECTOR_TOKEN'),
  queue: { name: env('QUEUE_NAME'), concurrency: 4 },
})
const queue = new BullQueue<EvaluationJob>({
  redisUrl: env('REDIS_URL'),
  name: settings.queue.name,
  attempts: 5,
  backoffMs: 100,
  keepCompleted: 10_000,
  shutdownTimeoutMs: 5_000,
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
})
const running = await start({ settings, queue })
process.stdout.write('ready\n')
process.on(
  'SIGTERM',
  () =>
    void running
      .close()
      .then(() => queue.close())
      .then(() => process.exit(0)),
)
