import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { evaluatorConfigSchema } from '../../evaluator/config.ts'
import { createEvaluationEnqueuer } from '../../evaluator/enqueue.ts'
import type { EvaluationJob } from '../../evaluator/jobs.ts'
import { BullQueue } from '../../evaluator/queue/bullmq.ts'
import { start, type RunningEvaluator } from '../../evaluator/start.ts'
import { startFakeCollector, type FakeCollector } from './fake-collector.ts'
import { startRestartableRedis, type RestartableRedis } from './redis-server.ts'
import { sleep, waitFor } from './wait.ts'

const SCORES_PER_SPAN = 5 // cost + heuristics (error, empty, refusal, truncated)

let redis: RestartableRedis
let fake: FakeCollector
const cleanups: (() => Promise<void>)[] = []
beforeAll(async () => {
  redis = await startRestartableRedis()
  fake = await startFakeCollector()
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await fake?.close()
  await redis?.stop()
})

function setup(name: string) {
  const settings = evaluatorConfigSchema.parse({
    collectorUrl: fake.url,
    collectorToken: fake.token,
    queue: { name, concurrency: 8, backoffMs: 100, attempts: 10 },
    defaults: { delayMs: 0, scorers: ['cost', 'heuristics'] },
  })
  const queue = new BullQueue<EvaluationJob>({
    redisUrl: redis.url,
    name,
    attempts: 10,
    backoffMs: 100,
    keepCompleted: 10_000,
    shutdownTimeoutMs: 5_000,
    lockDurationMs: 1_000,
    stalledIntervalMs: 500,
  })
  cleanups.push(async () => {
    await queue.obliterate().catch(() => {})
    await queue.close()
  })
  return { settings, queue, enqueue: createEvaluationEnqueuer(settings, queue) }
}

async function worker(
  settings: ReturnType<typeof setup>['settings'],
  queue: BullQueue<EvaluationJob>,
): Promise<RunningEvaluator> {
  const running = await start({ settings, queue })
  cleanups.push(() => running.close())
  return running
}

const scoresOf = (spanId: string) => [...fake.scores.values()].filter((s) => s.span_id === spanId)

describe('BullMQ evaluator under failures (real redis-server)', () => {
  it('a worker process killed mid-job: the job is recovered as stalled and scored once', async () => {
    const name = `kill-${randomBytes(4).toString('hex')}`
    const { settings, queue, enqueue } = setup(name)
    const child = spawn(process.execPath, ['bin/run-ts.mjs', 'test/evaluator/worker-child.ts'], {
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        QUEUE_NAME: name,
        COLLECTOR_URL: fake.url,
        COLLECTOR_TOKEN: fake.token,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    )
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    })
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve()
      })
      child.once('exit', () => reject(new Error('worker child exited before ready')))
    })

    fake.holdTraces = true
    fake.held = 0
    const { span, row } = fake.addSpan()
    await enqueue([row])
    await waitFor(() => fake.held === 1, 'the child to be mid-job')
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    fake.release() // the dead child's request is answered into a closed socket

    await worker(settings, queue)
    await waitFor(() => scoresOf(span.span_id).length === SCORES_PER_SPAN, 'scores from the recovered job', 30_000)
    await waitFor(async () => (await queue.counts()).completed === 1, 'the job completed')
    const counts = await queue.counts()
    expect(counts).toMatchObject({ active: 0, waiting: 0, dead: 0 })
    expect(scoresOf(span.span_id).every((s) => s.score_id!.startsWith(`${span.span_id}.`))).toBe(true)
  }, 60_000)

  it('Redis restarted mid-run: workers reconnect and every span is scored exactly once per score', async () => {
    const name = `restart-${randomBytes(4).toString('hex')}`
    const { settings, queue, enqueue } = setup(name)
    await worker(settings, queue)
    const before = Array.from({ length: 60 }, () => fake.addSpan())
    await enqueue(before.map((s) => s.row))
    await waitFor(() => before.some((s) => scoresOf(s.span.span_id).length > 0), 'work under way')

    await redis.halt()
    const during = Array.from({ length: 20 }, () => fake.addSpan())
    const addDuringOutage = enqueue(during.map((s) => s.row)) // waits for Redis instead of failing
    await sleep(500)
    await redis.start()
    await addDuringOutage
    const after = Array.from({ length: 20 }, () => fake.addSpan())
    await enqueue(after.map((s) => s.row))

    const all = [...before, ...during, ...after]
    await waitFor(
      () => all.every((s) => scoresOf(s.span.span_id).length === SCORES_PER_SPAN),
      'every span scored',
      60_000,
    )
    await waitFor(async () => (await queue.counts()).completed === all.length, 'every job completed', 30_000)
    expect(await queue.deadLetters()).toEqual([])
  }, 90_000)
})
