import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import { freePort } from '../helpers/net.ts'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { ADMIN, answers, runCli, tempDir, type CliProcess } from './cli-process.ts'

/**
 * The configuration decides which routes and targets exist; the stored routing table only carries
 * learned weights for those that still match, and a mismatch is logged with what was kept and
 * dropped. Real CLI processes on one data directory, restarted between steps.
 */
const KEY = 'lg-delivery-routing-key-01'
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }

/** A lone gateway's config: tenant acme, the simulator as provider, the given routes (YAML flow). */
const gatewayYaml = (sim: Simulator, port: number, routes: string) => `
logLevel: info
tenants: [{ id: acme, keys: [{ key: ${KEY} }] }]
gateway:
  port: ${port}
  telemetry: { enabled: false }  # spans are not under test here
  providers: { sim: { protocol: openai, baseUrl: "${sim.openaiBaseUrl}" } }
  routes: ${routes}
`

const running = new Set<CliProcess>()

afterAll(() => {
  for (const p of running) p.kill()
})

async function stop(p: CliProcess): Promise<void> {
  const exit = await p.stop()
  running.delete(p)
  expect(exit.code, `exit ${exit.code ?? exit.signal} after ${exit.ms} ms:\n${p.output().slice(-3000)}`).toBe(0)
}

const errorOf = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message

const chat = (url: string, model: string, key = KEY) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'What is 6 times 7?' }], max_tokens: 16 }),
  }).then(async (r) => ({ status: r.status, target: r.headers.get('x-loopgate-target'), body: await r.text() }))

interface Table {
  version: number
  routes: { name: string; targets: { provider: string; model: string; weight: number }[] }[]
  droppedRoutes: string[]
}
const getTable = async (url: string): Promise<Table> =>
  (await (await fetch(`${url}/admin/routing`, { headers: admin })).json()) as Table
const putTable = (url: string, body: unknown) =>
  fetch(`${url}/admin/routing`, { method: 'PUT', headers: admin, body: JSON.stringify(body) })
const weightsOf = (t: Table, route: string) =>
  Object.fromEntries(
    (t.routes.find((r) => r.name === route)?.targets ?? []).map((x) => [`${x.provider}/${x.model}`, x.weight]),
  )
const target = (model: string, weight = 1) => ({ provider: 'sim', model, weight })

describe('loopgate start: demo → plain → demo on one data directory', () => {
  it('keeps the demo route working after a plain start in between, and says what the plain start dropped', async () => {
    const dir = tempDir('routing-demo')
    const p = { collector: await freePort(), gateway: await freePort(), simulator: await freePort() }
    const yaml = `logLevel: info\ncollector: { port: ${p.collector}, serveUi: false }\ngateway: { port: ${p.gateway}, simulator: { port: ${p.simulator} } }\n`
    const gateway = `http://127.0.0.1:${p.gateway}`
    const runStart = async (demo: boolean) => {
      const proc = runCli(demo ? ['start', '--demo'] : ['start'], { dir, yaml })
      running.add(proc)
      await answers(`${gateway}/healthz`)
      return proc
    }

    const first = await runStart(true)
    expect((await chat(gateway, 'assistant', 'demo-acme-key-0001')).status).toBe(200)
    await stop(first)

    const plain = await runStart(false)
    expect((await getTable(gateway)).routes).toEqual([])
    await stop(plain)

    const again = await runStart(true)
    const answer = await chat(gateway, 'assistant', 'demo-acme-key-0001')
    console.log(`demo after plain: POST model=assistant → ${answer.status}`)
    expect(answer.status, answer.body).toBe(200)
    await stop(again)
    expect(plain.output()).toMatch(/does not match the configuration: .*dropped \(not configured\) assistant/)
    expect(again.output()).toMatch(/does not match the configuration: .*added from the configuration assistant/)
  })
})

describe('loopgate gateway: a config edit takes effect on restart', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({})
  })
  afterAll(() => sim?.close())

  const config = (port: number, routes: string) => gatewayYaml(sim, port, routes)

  it('keeps learned weights of matching targets, drops removed ones, adds new routes, logs which; PUT cannot drop routes silently', async () => {
    const dir = tempDir('routing-edit')
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const v1 = config(
      port,
      `[{ name: chat, targets: [{ provider: sim, model: a }, { provider: sim, model: b }] }, { name: old, targets: [{ provider: sim, model: a }] }]`,
    )
    const g1 = runCli(['gateway'], { dir, yaml: v1 })
    running.add(g1)
    await answers(`${url}/healthz`)

    // Learned weights (as the optimizer pushes them).
    const learned = await putTable(url, {
      routes: [
        { name: 'chat', targets: [target('a', 5), target('b', 0.5)] },
        { name: 'old', targets: [target('a')] },
      ],
      reason: 'learned',
      author: 'optimizer',
    })
    expect(learned.status, await learned.clone().text()).toBe(200)
    await stop(g1)

    // The edit: target b removed and c added on chat, route old removed, route fresh added.
    const v2 = config(
      port,
      `[{ name: chat, targets: [{ provider: sim, model: a }, { provider: sim, model: c }] }, { name: fresh, targets: [{ provider: sim, model: b }] }]`,
    )
    const g2 = runCli(['gateway'], { dir, yaml: v2 })
    running.add(g2)
    await answers(`${url}/healthz`)
    const table = await getTable(url)
    console.log(
      `after the edit: routes ${table.routes.map((r) => r.name).join(', ')}; chat weights ${JSON.stringify(weightsOf(table, 'chat'))}`,
    )
    expect(table.routes.map((r) => r.name)).toEqual(['chat', 'fresh'])
    expect(weightsOf(table, 'chat')).toEqual({ 'sim/a': 5, 'sim/c': 1 })
    expect((await chat(url, 'fresh')).status).toBe(200)
    expect((await chat(url, 'old')).status).toBe(404)
    const line =
      g2
        .output()
        .split('\n')
        .find((l) => l.includes('does not match the configuration')) ?? ''
    expect(line).toContain('"level":40')
    expect(line).toMatch(/kept learned weights of chat\/sim\/a/)
    expect(line).toMatch(/dropped \(not configured\) chat\/sim\/b, old/)
    expect(line).toMatch(/added from the configuration chat\/sim\/c, fresh/)

    // PUT /admin/routing may not drop configured routes unless it says so, nor name unconfigured targets.
    const empty = await putTable(url, { routes: [] })
    console.log(`PUT {"routes":[]} → ${empty.status}`)
    expect(empty.status).toBe(400)
    expect(await errorOf(empty)).toMatch(/leaves out "chat", "fresh".*dropRoutes/)
    const partial = await putTable(url, { routes: [{ name: 'chat', targets: [target('a'), target('c')] }] })
    expect(partial.status).toBe(400)
    const ghost = await putTable(url, {
      routes: [
        { name: 'chat', targets: [target('a'), target('c'), target('zzz')] },
        { name: 'fresh', targets: [target('b')] },
      ],
    })
    expect(ghost.status).toBe(400)
    expect(await errorOf(ghost)).toMatch(/target "sim\/zzz" is not configured/)
    expect((await chat(url, 'chat')).status).toBe(200) // nothing of that changed the table

    // An explicit drop is accepted, and the dropped route stays out across a restart until a table lists it.
    const drop = await putTable(url, {
      routes: [{ name: 'chat', targets: [target('a', 5), target('c', 1)] }],
      dropRoutes: ['fresh'],
    })
    expect(drop.status, await drop.clone().text()).toBe(200)
    expect(await drop.json()).toMatchObject({ droppedRoutes: ['fresh'] })
    expect((await chat(url, 'fresh')).status).toBe(404)
    await stop(g2)
    const g3 = runCli(['gateway'], { dir, yaml: v2 })
    running.add(g3)
    await answers(`${url}/healthz`)
    expect((await getTable(url)).droppedRoutes).toEqual(['fresh'])
    expect((await chat(url, 'fresh')).status).toBe(404)
    expect(g3.output()).toMatch(/routes fresh stay out of the routing table/)
    expect(g3.output()).not.toMatch(/does not match the configuration/) // the reconciled table was stored: the next start is quiet
    const back = await putTable(url, {
      routes: [
        { name: 'chat', targets: [target('a', 5), target('c', 1)] },
        { name: 'fresh', targets: [target('b')] },
      ],
    })
    expect(back.status).toBe(200)
    expect((await chat(url, 'fresh')).status).toBe(200)
    await stop(g3)
  })
})

describe('Redis fan-out applies the same rule', () => {
  let sim: Simulator
  let redis: RedisServer
  beforeAll(async () => {
    ;[sim, redis] = await Promise.all([startSimulator({}), startRedis()])
  })
  afterAll(async () => {
    await sim?.close()
    await redis?.stop()
  })

  it('a replica keeps only its configured routes and targets from an announced table, and keeps routes the writer does not know', async () => {
    const [p1, p2] = [await freePort(), await freePort()]
    const yaml = (port: number, routes: string) => gatewayYaml(sim, port, routes)
    // Replica 1 knows a target c and a route extra that replica 2 does not.
    const wide = runCli(['gateway'], {
      dir: tempDir('routing-wide'),
      env: { REDIS_URL: redis.url },
      yaml: yaml(
        p1,
        `[{ name: chat, targets: [{ provider: sim, model: a }, { provider: sim, model: b }, { provider: sim, model: c }] }, { name: extra, targets: [{ provider: sim, model: a }] }]`,
      ),
    })
    running.add(wide)
    await answers(`http://127.0.0.1:${p1}/healthz`)
    const narrow = runCli(['gateway'], {
      dir: tempDir('routing-narrow'),
      env: { REDIS_URL: redis.url },
      yaml: yaml(p2, `[{ name: chat, targets: [{ provider: sim, model: a }, { provider: sim, model: b }] }]`),
    })
    running.add(narrow)
    await answers(`http://127.0.0.1:${p2}/healthz`)
    const [u1, u2] = [`http://127.0.0.1:${p1}`, `http://127.0.0.1:${p2}`]
    const synced = async (url: string, version: number) => {
      const deadline = Date.now() + 15_000
      for (;;) {
        const t = await getTable(url)
        if (t.version >= version) return t
        if (Date.now() > deadline) throw new Error(`${url} never reached routing version ${version}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }

    // Pushed through the wide replica: the narrow one takes chat's a and b, drops c and extra, and says so.
    const push = await putTable(u1, {
      routes: [
        { name: 'chat', targets: [target('a', 1), target('b', 2), target('c', 3)] },
        { name: 'extra', targets: [target('a')] },
      ],
    })
    expect(push.status, await push.clone().text()).toBe(200)
    const { version } = (await push.json()) as { version: number }
    const t2 = await synced(u2, version)
    console.log(
      `narrow replica after a push through the wide one: routes ${t2.routes.map((r) => r.name).join(', ')}; chat weights ${JSON.stringify(weightsOf(t2, 'chat'))}`,
    )
    expect(t2.routes.map((r) => r.name)).toEqual(['chat'])
    expect(weightsOf(t2, 'chat')).toEqual({ 'sim/a': 1, 'sim/b': 2 })
    expect(narrow.output()).toMatch(
      /announced routing table \(version \d+\) does not match this gateway's configuration: .*dropped \(not configured\) chat\/sim\/c, extra/,
    )

    // Pushed through the narrow replica: the wide one takes the weights and keeps serving extra and c.
    const back = await putTable(u2, { routes: [{ name: 'chat', targets: [target('a', 4), target('b', 1)] }] })
    expect(back.status, await back.clone().text()).toBe(200)
    const v2 = ((await back.json()) as { version: number }).version
    const t1 = await synced(u1, v2)
    expect(weightsOf(t1, 'chat')).toEqual({ 'sim/a': 4, 'sim/b': 1, 'sim/c': 3 })
    expect((await chat(u1, 'extra')).status).toBe(200)

    // The same refusal on a replica as on a lone gateway.
    expect((await putTable(u2, { routes: [] })).status).toBe(400)
    // An explicit drop reaches every replica that serves the route.
    const drop = await putTable(u2, {
      routes: [{ name: 'chat', targets: [target('a', 4), target('b', 1)] }],
      dropRoutes: ['chat'],
    })
    expect(drop.status).toBe(400) // "chat" both listed and dropped
    const dropAll = await putTable(u1, {
      routes: [{ name: 'chat', targets: [target('a', 4), target('b', 1), target('c', 3)] }],
      dropRoutes: ['extra'],
    })
    expect(dropAll.status).toBe(200)
    expect((await chat(u1, 'extra')).status).toBe(404)
    await Promise.all([stop(wide), stop(narrow)])
  })
})
