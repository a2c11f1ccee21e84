import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import { eventually, freePort } from '../helpers/net.ts'
import { startRedis, type RedisServer } from '../helpers/redis.ts'

/**
 * The whole loop through real processes: a `loopgate start` process (gateway, collector on chDB,
 * evaluator on BullMQ/Redis, optimizer) in front of simulated providers whose quality the test
 * controls. Traffic with known answers → spans → reference scores → decisions that move the
 * weights to the better target; then the providers swap quality and the weights follow.
 */
const ADMIN = 'loop-admin-token-0123456789'
const KEY = 'lg-loop-key-000001'
const GOOD = 0.95
const BAD = 0.15

let redis: RedisServer
let sim: Simulator
let child: ChildProcess
let api: CollectorClient
let openai: OpenAI
let stopTraffic = false
let traffic: Promise<void>

beforeAll(async () => {
  redis = await startRedis()
  sim = await startSimulator({
    models: { alpha: { quality: GOOD, outputTokens: 8 }, beta: { quality: BAD, outputTokens: 8 } },
  })
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-loop-'))
  const ports = { collector: await freePort(), gateway: await freePort() }
  writeFileSync(
    join(dir, 'loopgate.yaml'),
    `
logLevel: warn
redisUrl: ${redis.url}
collector: { port: ${ports.collector}, serveUi: false }
gateway:
  port: ${ports.gateway}
  providers: { sim: { protocol: openai, baseUrl: "${sim.openaiBaseUrl}" } }
  routes: [{ name: task, capture: on, targets: [{ provider: sim, model: alpha, price: { input: "1", output: "1" } }, { provider: sim, model: beta, price: { input: "1", output: "1" } }] }]
tenants: [{ id: acme, keys: [{ key: ${KEY} }] }]
evaluator: { defaults: { scorers: [reference], delayMs: 0 } }
optimizer: { enabled: true, intervalSeconds: 2, bootstrapSeconds: 30, ingestLagSeconds: 1, score: reference, learner: { discount: 0.9 } }
`,
  )
  child = spawn(
    process.execPath,
    [join(import.meta.dirname, '../../bin/loopgate.mjs'), 'start', '--config', join(dir, 'loopgate.yaml')],
    {
      env: { ...process.env, LOOPGATE_ADMIN_TOKEN: ADMIN, LOOPGATE_DATA_DIR: dir },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  api = new CollectorClient({ baseUrl: `http://127.0.0.1:${ports.collector}`, token: ADMIN })
  openai = new OpenAI({ baseURL: `http://127.0.0.1:${ports.gateway}/v1`, apiKey: KEY, maxRetries: 0 })
  await eventually(
    'the gateway',
    async () => (await fetch(`http://127.0.0.1:${ports.gateway}/healthz`)).ok || undefined,
  )
  // Tasks with known answers, about 40 a second (the evaluator keeps up), until the test ends.
  traffic = Promise.all(
    Array.from({ length: 2 }, async (_, worker) => {
      for (let i = 0; !stopTraffic; i++) {
        const a = 3 + ((i * 7 + worker) % 50)
        await openai.chat.completions
          .create({
            model: 'task',
            messages: [{ role: 'user', content: `What is ${a} + ${a}?` }],
            metadata: { expected_answer: String(2 * a) },
          })
          .catch(() => undefined)
        await new Promise((r) => setTimeout(r, 50))
      }
    }),
  ).then(() => undefined)
})

afterAll(async () => {
  stopTraffic = true
  await traffic
  if (child.exitCode === null) {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
  await sim.close()
  await redis.stop()
})

/** The newest applied decision whose weights favour `target` by at least `share`. */
const decisionFavouring = (target: string, share: number, after = 0) =>
  eventually(
    `weights to favour ${target}`,
    async () => {
      const { decisions } = await api.listDecisions({ route: 'task', limit: 20 })
      return decisions.find(
        (d) =>
          d.applied && (d.new_weights[target] ?? 0) >= share && Number(BigInt(d.created_at_ns) / 1_000_000n) > after,
      )
    },
    150_000,
  )

describe('the closed loop: gateway → spans → scores → optimizer → gateway', () => {
  it('moves traffic to the better target, then follows when the providers swap quality', async () => {
    const first = await decisionFavouring('sim/alpha', 0.7)
    expect(first.reason).toMatch(/sim\/alpha/)

    const stats = await api.routeStats({ route: 'task', window: '5m', score: 'reference' })
    const byTarget = new Map(stats.stats.map((s) => [s.target, s]))
    expect(byTarget.get('sim/alpha')!.quality_mean!).toBeGreaterThan(byTarget.get('sim/beta')!.quality_mean!)
    const scores = await api.listScores({ name: 'reference', limit: 10 })
    expect(scores.scores.length).toBeGreaterThan(0)
    expect(scores.scores[0]).toMatchObject({ tenant_id: 'acme', route: 'task' })

    const swappedAt = Date.now()
    sim.setProfile('alpha', { quality: BAD })
    sim.setProfile('beta', { quality: GOOD })
    const second = await decisionFavouring('sim/beta', 0.7, swappedAt)
    expect(second.reason).toMatch(/sim\/beta/)
    const table = (await (
      await fetch(`${openai.baseURL.replace(/\/v1$/, '')}/admin/routing`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })
    ).json()) as { routes: { name: string; targets: { model: string; weight: number }[] }[] }
    const live = table.routes.find((r) => r.name === 'task')!.targets
    expect(live.find((t) => t.model === 'beta')!.weight).toBeGreaterThan(live.find((t) => t.model === 'alpha')!.weight)
  })
})
