// Evaluator benchmark: `node bin/run-ts.mjs bench/evaluator.ts [--rate 500] [--seconds 10]`.
// Spans are "stored" at a steady rate into the evaluation queue; workers score them (cost,
// heuristics, reference) and POST the scores. The spans are served and the scores received by a
// local loopback stand-in of the collector API (GET /api/traces/:id, POST /api/scores), so the
// figures measure the evaluator + queue, not ClickHouse. Queue lag = score stored − span enqueued.
// Scenarios: in-process queue; BullMQ on a local redis-server with one and two worker processes.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Span, Trace } from '../collector/client.ts'
import { evaluatorConfigSchema } from '../evaluator/config.ts'
import { createEvaluationEnqueuer } from '../evaluator/enqueue.ts'
import type { EvaluationJob, StoredSpanSummary } from '../evaluator/jobs.ts'
import { BullQueue } from '../evaluator/queue/bullmq.ts'
import { MemoryQueue } from '../evaluator/queue/memory.ts'
import type { JobQueue } from '../evaluator/queue/types.ts'
import { start } from '../evaluator/start.ts'

const TOKEN = 'bench-collector-token-0001'
/** cost + heuristics (error, empty, refusal, truncated, latency_slo) + reference */
const SCORES_PER_SPAN = 7
const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    worker: { type: 'boolean', default: false },
  },
})

const settingsFor = (collectorUrl: string, queueName: string) =>
  evaluatorConfigSchema.parse({
    collectorUrl,
    collectorToken: TOKEN,
    queue: { name: queueName, concurrency: 32, attempts: 3, backoffMs: 200 },
    defaults: { delayMs: 0, scorers: ['cost', 'heuristics', 'reference'], sloMs: 2_000 },
  })

const bullQueue = (redisUrl: string, name: string) =>
  new BullQueue<EvaluationJob>({
    redisUrl,
    name,
    attempts: 3,
    backoffMs: 200,
    keepCompleted: 100_000,
    shutdownTimeoutMs: 5_000,
  })

function spanFor(i: number): Span {
  const start = BigInt(Date.now()) * 1_000_000n
  const expected = String(i % 97)
  return {
    trace_id: randomBytes(16).toString('hex'),
    span_id: randomBytes(8).toString('hex'),
    parent_span_id: '',
    name: 'chat',
    kind: 'Client',
    service_name: 'bench',
    scope_name: 'bench',
    start_ns: start.toString(),
    end_ns: (start + 500_000_000n).toString(),
    duration_ms: 500,
    status_code: 'Ok',
    status_message: '',
    tenant_id: `tenant-${i % 5}`,
    session_id: `s-${i % 50}`,
    user_id: '',
    operation: 'chat',
    span_type: 'llm',
    convention: 'loopgate',
    provider: 'openai',
    request_model: 'gpt-4o-mini',
    response_model: 'gpt-4o-mini',
    route: 'bench',
    target: 'openai/gpt-4o-mini',
    routing_version: '1',
    attempt: 0,
    input_tokens: 800 + (i % 400),
    output_tokens: 120 + (i % 80),
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: '0',
    cost_source: 'none',
    usage_source: 'measured',
    ttft_ms: 80,
    is_error: false,
    billable: true,
    finish_reason: 'stop',
    input_text: `Question ${i}: what is ${expected} plus zero?`,
    output_text: `Let me think step by step. ${'words '.repeat(40)}The answer is ${i % 7 === 0 ? Number(expected) + 1 : expected}.`,
    attributes: { 'loopgate.expected_answer': expected },
    resource_attributes: {},
    events: [],
    links: [],
    children: [],
  }
}

interface Sink {
  url: string
  enqueuedAt: Map<string, number>
  lags: number[]
  scores: number
  traces: Map<string, Trace>
  close(): Promise<void>
}

async function startSink(): Promise<Sink> {
  const sink: Sink = { url: '', enqueuedAt: new Map(), lags: [], scores: 0, traces: new Map(), close: async () => {} }
  const seen = new Set<string>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const m = /^\/api\/traces\/([0-9a-f]+)/.exec(req.url ?? '')
      if (req.method === 'GET' && m) {
        const t = sink.traces.get(m[1]!)
        res.writeHead(t ? 200 : 404, { 'content-type': 'application/json' })
        return res.end(JSON.stringify(t ?? { error: { message: 'not found' } }))
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        scores: { score_id: string; span_id: string }[]
      }
      const now = Date.now()
      for (const s of body.scores) {
        if (seen.has(s.score_id)) continue
        seen.add(s.score_id)
        sink.scores++
      }
      const at = sink.enqueuedAt.get(body.scores[0]!.span_id)
      if (at !== undefined) sink.lags.push(now - at)
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end(`{"accepted":${body.scores.length},"scores":[]}`)
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  sink.close = () =>
    new Promise((r) => {
      server.closeAllConnections()
      server.close(() => r())
    })
  return sink
}

async function startRedisServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-bench-redis-'))
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  const child = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const url = `redis://127.0.0.1:${port}`
  await new Promise((r) => setTimeout(r, 300))
  return {
    url,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/run-ts.mjs', 'bench/evaluator.ts', '--worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)))
  })
  return child
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN
}

async function scenario(
  label: string,
  rate: number,
  seconds: number,
  setup: (sink: Sink, queueName: string) => Promise<{ queue: JobQueue<EvaluationJob>; stop(): Promise<void> }>,
) {
  const sink = await startSink()
  const queueName = `bench-${randomBytes(3).toString('hex')}`
  const { queue, stop } = await setup(sink, queueName)
  const enqueue = createEvaluationEnqueuer(settingsFor(sink.url, queueName), queue)
  const total = rate * seconds
  const spans = Array.from({ length: total }, (_, i) => spanFor(i))
  for (const s of spans)
    sink.traces.set(s.trace_id, {
      trace_id: s.trace_id,
      tenant_id: s.tenant_id,
      session_ids: [s.session_id],
      start_ns: s.start_ns,
      end_ns: s.end_ns,
      totals: {
        spans: 1,
        llm_calls: 1,
        errors: 0,
        duration_ms: 500,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: '0',
      },
      roots: [s],
      scores: [],
    })
  const row = (s: Span): StoredSpanSummary => ({
    tenant_id: s.tenant_id,
    TraceId: s.trace_id,
    SpanId: s.span_id,
    session_id: s.session_id,
    route: s.route,
    target: s.target,
    span_type: 'llm',
    billable: 1,
    Timestamp: s.start_ns,
  })
  const batch = Math.max(1, Math.round(rate / 50)) // one "stored batch" every 20 ms, like the collector's group commits
  const t0 = Date.now()
  for (let i = 0; i < total; i += batch) {
    const due = t0 + (i / rate) * 1000
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
    const chunk = spans.slice(i, i + batch)
    const at = Date.now()
    for (const s of chunk) sink.enqueuedAt.set(s.span_id, at)
    await enqueue(chunk.map(row))
  }
  const expectedScores = total * SCORES_PER_SPAN
  const deadline = Date.now() + 60_000
  while (sink.scores < expectedScores && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  const elapsed = (Date.now() - t0) / 1000
  await stop()
  await sink.close()
  const done = sink.scores >= expectedScores ? '' : ` (INCOMPLETE: ${sink.scores}/${expectedScores} in time)`
  console.log(
    `${label.padEnd(34)} ${String(total).padStart(6)} spans @ ${rate}/s → ${String(sink.scores).padStart(6)} scores in ${elapsed.toFixed(1)} s = ${(sink.scores / elapsed).toFixed(0).padStart(6)} scores/s; lag p50 ${pct(sink.lags, 50)} ms, p95 ${pct(sink.lags, 95)} ms${done}`,
  )
}

/** Drain capacity: every span enqueued at once, then time until all scores are stored. */
async function capacity(label: string, total: number, setup: Parameters<typeof scenario>[3]) {
  await scenario(`${label} (burst of ${total})`, total, 1, setup)
}

async function main() {
  const rate = Number(args.rate)
  const seconds = Number(args.seconds)
  console.log(
    `evaluator benchmark: scorers cost + heuristics + reference (${SCORES_PER_SPAN} scores per span), local stand-in collector API, ${process.platform} ${process.arch}`,
  )
  const memory: Parameters<typeof scenario>[3] = async (sink, name) => {
    const queue = new MemoryQueue<EvaluationJob>({
      attempts: 3,
      backoffMs: 200,
      keepCompleted: 100_000,
      shutdownTimeoutMs: 5_000,
    })
    const running = await start({ settings: settingsFor(sink.url, name), queue })
    return {
      queue,
      stop: async () => {
        await running.close()
        await queue.close()
      },
    }
  }
  const redis = await startRedisServer()
  const bull =
    (workers: number): Parameters<typeof scenario>[3] =>
    async (sink, name) => {
      const queue = bullQueue(redis.url, name)
      const children = await Promise.all(
        Array.from({ length: workers }, () =>
          spawnWorker({ REDIS_URL: redis.url, QUEUE_NAME: name, COLLECTOR_URL: sink.url }),
        ),
      )
      return {
        queue,
        stop: async () => {
          await Promise.all(
            children.map(
              (c) =>
                new Promise((r) => {
                  c.once('exit', r)
                  c.kill('SIGTERM')
                }),
            ),
          )
          await queue.obliterate()
          await queue.close()
        },
      }
    }
  try {
    await scenario('in-process queue', rate, seconds, memory)
    await scenario('BullMQ, 1 worker process', rate, seconds, bull(1))
    await scenario('BullMQ, 2 worker processes', rate, seconds, bull(2))
    await capacity('BullMQ, 2 worker processes', 5_000, bull(2))
    await capacity('in-process queue', 5_000, memory)
  } finally {
    await redis.stop()
  }
}

if (args.worker) {
  // Child: one BullMQ worker process.
  const queue = bullQueue(process.env.REDIS_URL!, process.env.QUEUE_NAME!)
  const running = await start({ settings: settingsFor(process.env.COLLECTOR_URL!, process.env.QUEUE_NAME!), queue })
  process.stdout.write('ready\n')
  process.on(
    'SIGTERM',
    () =>
      void running
        .close()
        .then(() => queue.close())
        .then(() => process.exit(0)),
  )
} else {
  await main()
}
