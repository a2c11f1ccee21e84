import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import { freePort } from '../helpers/net.ts'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { ADMIN, answers, runCli, tempDir, type CliProcess } from './cli-process.ts'

/**
 * A gateway replica that (re)starts while Redis is unreachable comes up from its configuration and
 * its local routing file, enforces limits per `failureMode` without waiting on Redis, and joins the
 * shared routing table (and its pub/sub) once Redis is back. Real CLI processes and redis-server.
 */
const LIMITED = 'lg-redis-down-limited-key-01'
const FREE = 'lg-redis-down-free-key-0001'
const SPENT = 'lg-redis-down-spent-key-001'
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
const SERVES_WITHIN_MS = 15_000
const EXIT_WITHIN_MS = 5_000
/** Every answer while Redis is down stays well below Redis' reconnect and command timeouts. */
const FAST_MS = 1_500

let sim: Simulator
const running = new Set<CliProcess>()
const servers = new Set<RedisServer>()
beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
})
afterAll(async () => {
  for (const p of running) p.kill()
  for (const r of servers) {
    try {
      process.kill(r.pid, 'SIGCONT')
    } catch {
      // already gone
    }
    await r.stop()
  }
  await sim?.close()
})

const ROUTES = `[{ name: chat, targets: [{ provider: sim, model: alpha, weight: 1 }, { provider: sim, model: beta, weight: 1 }] }]`

function launch(
  redisUrl: string,
  failureMode: 'local' | 'deny',
  port: number,
  dir = tempDir('redis-down'),
): CliProcess {
  const yaml = `
logLevel: info
tenants:
  - { id: metered, rateLimits: { rpm: 2 }, keys: [{ key: ${LIMITED} }] }
  - { id: open, keys: [{ key: ${FREE} }] }
  - { id: spent, budgets: { usdPerDay: "1" }, keys: [{ key: ${SPENT} }] }
gateway:
  port: ${port}
  telemetry: { enabled: false }
  limits: { failureMode: ${failureMode} }
  providers: { sim: { protocol: openai, baseUrl: "${sim.openaiBaseUrl}" } }
  routes: ${ROUTES}
`
  const p = runCli(['gateway'], { dir, yaml, env: { REDIS_URL: redisUrl } })
  running.add(p)
  return p
}

/**
 * Writes what a previous run would have left: the routing file (alpha 9, beta 1, version 4) and a
 * spend journal in which tenant "spent" used its whole $1 of today.
 */
function localTable(dir: string): void {
  mkdirSync(join(dir, 'gateway'), { recursive: true })
  const now = new Date().toISOString()
  writeFileSync(
    join(dir, 'gateway', 'spend-journal.jsonl'),
    `${JSON.stringify({ s: ['t:spent'], d: now.slice(0, 10), m: now.slice(0, 7), u: String(10n ** 12n) })}\n`,
  )
  const routes = [
    {
      name: 'chat',
      targets: [
        { provider: 'sim', model: 'alpha', weight: 9 },
        { provider: 'sim', model: 'beta', weight: 1 },
      ],
    },
  ]
  writeFileSync(
    join(dir, 'gateway', 'routing.json'),
    JSON.stringify({ version: 4, updatedAt: new Date().toISOString(), routes, droppedRoutes: [] }),
  )
}

const chat = async (url: string, key: string) => {
  const t0 = Date.now()
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
    signal: AbortSignal.timeout(10_000),
  })
  await r.arrayBuffer()
  return { status: r.status, ms: Date.now() - t0 }
}

type Table = { version: number; routes: { name: string; targets: { model: string; weight: number }[] }[] }
const getTable = async (url: string): Promise<Table> =>
  (await (await fetch(`${url}/admin/routing`, { headers: admin, signal: AbortSignal.timeout(10_000) })).json()) as Table
/** PUT /admin/routing with the chat route's alpha and beta weights. */
const putWeights = (url: string, alpha: number, beta: number) =>
  fetch(`${url}/admin/routing`, {
    method: 'PUT',
    headers: admin,
    body: JSON.stringify({
      routes: [
        {
          name: 'chat',
          targets: [
            { provider: 'sim', model: 'alpha', weight: alpha },
            { provider: 'sim', model: 'beta', weight: beta },
          ],
        },
      ],
    }),
    signal: AbortSignal.timeout(10_000),
  })
const weights = (t: Table) => Object.fromEntries(t.routes[0]!.targets.map((x) => [x.model, x.weight]))

/** Polls /healthz until it answers; returns how long it took, or fails naming the output. */
async function servesWithin(p: CliProcess, url: string, ms: number): Promise<number> {
  const t0 = Date.now()
  await Promise.race([
    answers(`${url}/healthz`, ms),
    p.exited.then((e) => {
      throw new Error(`gateway exited (${e.code ?? e.signal}) instead of starting:\n${p.output().slice(-2000)}`)
    }),
  ])
  return Date.now() - t0
}

async function sigterm(p: CliProcess, label = 'Redis down'): Promise<void> {
  const exit = await p.stop('SIGTERM', 15_000)
  running.delete(p)
  console.log(`SIGTERM (${label}): exit ${exit.code ?? exit.signal} after ${exit.ms} ms`)
  expect(exit.timedOut, p.output().slice(-2000)).toBe(false)
  expect(exit.ms).toBeLessThan(EXIT_WITHIN_MS)
  expect(exit.code, p.output().slice(-2000)).toBe(0)
}

describe('gateway started while Redis refuses connections', () => {
  it('serves from config + routing.json, limits locally, then joins the shared table when Redis comes up', async () => {
    const redisPort = await freePort() // nothing listens there yet
    const redisUrl = `redis://127.0.0.1:${redisPort}`
    const dir = tempDir('redis-down-a')
    localTable(dir)
    const port = await freePort()
    const a = launch(redisUrl, 'local', port, dir)
    const url = `http://127.0.0.1:${port}`
    const startMs = await servesWithin(a, url, SERVES_WITHIN_MS)
    console.log(`refused: serving after ${startMs} ms`)
    expect(a.output()).toMatch(/redis: unreachable at start/)
    // One warning about Redis (the hand-written routing.json also draws a reconcile warning: not counted).
    expect(a.output().match(/"level":40.*"msg":"(redis|limits)\b.*/g), a.output()).toHaveLength(1)
    expect(weights(await getTable(url))).toEqual({ alpha: 9, beta: 1 })

    // rpm 2, enforced on this process's counters; a key without limits is served normally.
    const limited = [await chat(url, LIMITED), await chat(url, LIMITED), await chat(url, LIMITED)]
    expect(limited.map((r) => r.status)).toEqual([200, 200, 429])
    const free = await chat(url, FREE)
    expect(free.status).toBe(200)
    // The local counters start from the spend journal: today's $1 is spent already.
    const spent = await chat(url, SPENT)
    expect(spent.status).toBe(402)
    expect(Math.max(...limited.map((r) => r.ms), free.ms, spent.ms)).toBeLessThan(FAST_MS)

    // Redis comes up on that port: this replica seeds it (Redis has no table) and subscribes.
    const redis = await startRedis(undefined, redisPort)
    servers.add(redis)
    await a.waitFor(/redis: reachable/, 20_000)
    expect(a.output().match(/"level":30.*"msg":"(redis|limits)\b.*/g), a.output()).toHaveLength(1) // one info line
    // The limits store heals by its probe: no longer degraded.
    const degraded = async () =>
      (await (await fetch(`${url}/metrics`, { headers: admin })).text()).match(
        /loopgate_gateway_limits_store_degraded (\d)/,
      )?.[1]
    const healDeadline = Date.now() + 10_000
    while ((await degraded()) !== '0' && Date.now() < healDeadline) await new Promise((r) => setTimeout(r, 100))
    expect(await degraded()).toBe('0')
    const bPort = await freePort()
    const b = launch(redisUrl, 'local', bPort)
    const bUrl = `http://127.0.0.1:${bPort}`
    await servesWithin(b, bUrl, SERVES_WITHIN_MS)
    const seeded = await getTable(bUrl)
    expect(weights(seeded)).toEqual({ alpha: 9, beta: 1 })
    const put = await putWeights(bUrl, 1, 7)
    expect(put.status, await put.clone().text()).toBe(200)
    const pushed = ((await put.json()) as { version: number }).version
    const deadline = Date.now() + 10_000
    while ((await getTable(url)).version !== pushed && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100))
    expect(weights(await getTable(url))).toEqual({ alpha: 1, beta: 7 })
    await sigterm(b, 'Redis up')
    await sigterm(a, 'Redis up')
  }, 90_000)
})

describe('gateway started with failureMode deny while Redis refuses connections', () => {
  it('503 for keys with limits, 200 for keys without, admin PUT answers 503 at once, SIGTERM exits 0 fast', async () => {
    const port = await freePort()
    const p = launch(`redis://127.0.0.1:${await freePort()}`, 'deny', port)
    const url = `http://127.0.0.1:${port}`
    console.log(`refused (deny): serving after ${await servesWithin(p, url, SERVES_WITHIN_MS)} ms`)
    const limited = await chat(url, LIMITED)
    const free = await chat(url, FREE)
    expect([limited.status, free.status]).toEqual([503, 200])
    expect(Math.max(limited.ms, free.ms)).toBeLessThan(FAST_MS)
    const t0 = Date.now()
    const put = await putWeights(url, 2, 1)
    const putMs = Date.now() - t0
    const body = await put.text()
    console.log(`PUT /admin/routing with Redis down: ${put.status} after ${putMs} ms: ${body}`)
    expect(put.status).toBe(503)
    expect(body).toMatch(/Redis/)
    expect(putMs).toBeLessThan(FAST_MS)
    await sigterm(p)
  }, 60_000)
})

describe('gateway started while Redis hangs (SIGSTOP)', () => {
  it('serves within a few seconds, limits locally; once Redis answers, takes the table Redis holds; stops within 5 s', async () => {
    const redis = await startRedis()
    servers.add(redis)
    // Another replica holds the shared table: version 2, alpha 3 / beta 5.
    const bPort = await freePort()
    const b = launch(redis.url, 'local', bPort)
    const bUrl = `http://127.0.0.1:${bPort}`
    await servesWithin(b, bUrl, SERVES_WITHIN_MS)
    const put = await putWeights(bUrl, 3, 5)
    expect(put.status, await put.clone().text()).toBe(200)
    const shared = ((await put.json()) as { version: number }).version

    process.kill(redis.pid, 'SIGSTOP')
    const dir = tempDir('redis-down-hung')
    localTable(dir) // version 4, alpha 9 / beta 1: newer than the shared one, but Redis is shared
    const port = await freePort()
    const p = launch(redis.url, 'local', port, dir)
    const url = `http://127.0.0.1:${port}`
    console.log(`hung: serving after ${await servesWithin(p, url, SERVES_WITHIN_MS)} ms`)
    expect(p.output()).toMatch(/redis: unreachable at start/)
    expect(weights(await getTable(url))).toEqual({ alpha: 9, beta: 1 })
    const limited = [await chat(url, LIMITED), await chat(url, LIMITED), await chat(url, LIMITED)]
    expect(limited.map((r) => r.status)).toEqual([200, 200, 429])
    expect(Math.max(...limited.map((r) => r.ms))).toBeLessThan(FAST_MS)

    process.kill(redis.pid, 'SIGCONT')
    await p.waitFor(/redis: reachable/, 20_000)
    const table = await getTable(url)
    expect([table.version, weights(table)]).toEqual([shared, { alpha: 3, beta: 5 }])
    await sigterm(b, 'Redis up')
    process.kill(redis.pid, 'SIGSTOP')
    await sigterm(p, 'Redis hung')
    process.kill(redis.pid, 'SIGCONT')
  }, 90_000)
})
