import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/net.ts'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { answers, runCli, tempDir, type CliProcess } from './cli-process.ts'

/**
 * Every component run alone (and `start`) stays up until SIGTERM, then exits within 5 s with code 0,
 * with and without REDIS_URL. All twelve processes start together (bounded: one each); they are
 * stopped one at a time so each stop is timed on its own.
 */
const COMPONENTS = ['collector', 'gateway', 'evaluator', 'optimizer', 'simulate', 'start'] as const
type Component = (typeof COMPONENTS)[number]
const STAY_UP_MS = 3_000
const EXIT_WITHIN_MS = 5_000

interface Case {
  component: Component
  redis: boolean | 'down'
  process: CliProcess
  /** URLs that must answer while it runs. */
  urls: string[]
  ready: Promise<number>
}

let redis: RedisServer
/** A second Redis, stopped before the processes using it get their SIGTERM. */
let doomed: RedisServer
const cases: Case[] = []
/** The components that use Redis, run against one that goes away. */
const REDIS_USERS = ['collector', 'gateway', 'evaluator', 'start'] as const

async function launch(component: Component, withRedis: boolean | 'down', db: number): Promise<Case> {
  const p = {
    collector: await freePort(),
    gateway: await freePort(),
    simulator: await freePort(),
    dead: await freePort(),
  }
  const yaml = `
logLevel: info
collector: { port: ${p.collector} }
gateway:
  port: ${p.gateway}
  simulator: { port: ${p.simulator} }
  telemetry: { collectorUrl: "http://127.0.0.1:${p.dead}" }
evaluator: { collectorUrl: "http://127.0.0.1:${p.dead}", queue: { name: "sigterm-${component}" } }
optimizer: { enabled: true, intervalSeconds: 1, collectorUrl: "http://127.0.0.1:${p.dead}", gatewayUrl: "http://127.0.0.1:${p.dead}" }
`
  const dir = tempDir(`sigterm-${component}`)
  const proc = runCli([component], {
    dir,
    yaml,
    env: withRedis ? { REDIS_URL: `${(withRedis === 'down' ? doomed : redis).url}/${db}` } : {},
  })
  const urls = {
    collector: [`http://127.0.0.1:${p.collector}/healthz`],
    gateway: [`http://127.0.0.1:${p.gateway}/healthz`],
    simulate: [`http://127.0.0.1:${p.simulator}/v1/models`],
    start: [`http://127.0.0.1:${p.collector}/healthz`, `http://127.0.0.1:${p.gateway}/healthz`],
    evaluator: [],
    optimizer: [],
  }[component]
  const ready = (async () => {
    if (component === 'evaluator') await proc.waitFor(/"msg":"evaluator started"/)
    else if (component === 'optimizer') await proc.waitFor(/"msg":"optimizer started"/)
    else await Promise.all(urls.map((u) => answers(u)))
    return Date.now()
  })()
  ready.catch(() => {}) // observed by the test
  return { component, redis: withRedis, process: proc, urls, ready }
}

beforeAll(async () => {
  ;[redis, doomed] = await Promise.all([startRedis(), startRedis()])
  let db = 1
  for (const component of COMPONENTS) {
    for (const withRedis of [false, true]) cases.push(await launch(component, withRedis, withRedis ? db++ : 0))
  }
  for (const component of REDIS_USERS) cases.push(await launch(component, 'down', db++))
  await Promise.allSettled(cases.map((c) => c.ready))
}, 180_000)

afterAll(async () => {
  for (const c of cases) c.process.kill()
  await Promise.all([redis?.stop(), doomed?.stop()])
})

async function staysUpThenStops(c: Case, label: string): Promise<void> {
  const readyAt = await c.ready
  const wait = readyAt + STAY_UP_MS - Date.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  expect(c.process.alive(), `${label} exited on its own:\n${c.process.output().slice(-2000)}`).toBe(true)
  if (c.redis !== 'down') for (const url of c.urls) expect((await fetch(url)).status).toBeLessThan(500)

  const exit = await c.process.stop('SIGTERM')
  console.log(
    `${label}: exit ${exit.code ?? exit.signal} after ${exit.ms} ms${exit.timedOut ? ' (killed: no exit)' : ''}`,
  )
  expect(exit.timedOut, `${label} did not exit after SIGTERM:\n${c.process.output().slice(-2000)}`).toBe(false)
  expect(exit.ms).toBeLessThan(EXIT_WITHIN_MS)
  expect(exit.code, c.process.output().slice(-2000)).toBe(0)
  // It ended by itself, not through the CLI's safety net for a hung close.
  expect(c.process.output()).not.toMatch(/did not close in time/)
  if (c.redis !== 'down') expect(c.process.output()).not.toMatch(/a handle was left open/)
}

describe('every component stays up alone and stops cleanly on SIGTERM', () => {
  for (const component of COMPONENTS) {
    for (const withRedis of [false, true]) {
      it(`${component} ${withRedis ? 'with' : 'without'} REDIS_URL`, async () => {
        const c = cases.find((x) => x.component === component && x.redis === withRedis)!
        await staysUpThenStops(c, `${component} ${withRedis ? '+redis' : '      '}`)
      })
    }
  }
})

describe('… also when Redis went away before the SIGTERM', () => {
  beforeAll(() => doomed.stop())
  for (const component of REDIS_USERS) {
    it(`${component} with REDIS_URL, Redis down`, async () => {
      const c = cases.find((x) => x.component === component && x.redis === 'down')!
      await staysUpThenStops(c, `${component} +redis down`)
    })
  }
})
