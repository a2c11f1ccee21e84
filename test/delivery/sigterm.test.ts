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
  redis: boolean
  process: CliProcess
  /** URLs that must answer while it runs. */
  urls: string[]
  ready: Promise<number>
}

let redis: RedisServer
const cases: Case[] = []

async function launch(component: Component, withRedis: boolean, db: number): Promise<Case> {
  const p = { collector: await freePort(), gateway: await freePort(), simulator: await freePort(), dead: await freePort() }
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
  const proc = runCli([component], { dir, yaml, env: withRedis ? { REDIS_URL: `${redis.url}/${db}` } : {} })
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
  redis = await startRedis()
  let db = 1
  for (const component of COMPONENTS) {
    for (const withRedis of [false, true]) cases.push(await launch(component, withRedis, withRedis ? db++ : 0))
  }
  await Promise.allSettled(cases.map((c) => c.ready))
}, 180_000)

afterAll(async () => {
  for (const c of cases) c.process.kill()
  await redis?.stop()
})

describe('every component stays up alone and stops cleanly on SIGTERM', () => {
  for (const component of COMPONENTS) {
    for (const withRedis of [false, true]) {
      it(`${component} ${withRedis ? 'with' : 'without'} REDIS_URL`, async () => {
        const c = cases.find((x) => x.component === component && x.redis === withRedis)!
        const readyAt = await c.ready
        const wait = readyAt + STAY_UP_MS - Date.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        expect(c.process.alive(), `${component} exited on its own:\n${c.process.output().slice(-2000)}`).toBe(true)
        for (const url of c.urls) expect((await fetch(url)).status).toBeLessThan(500)

        const exit = await c.process.stop('SIGTERM')
        console.log(`${component} ${withRedis ? '+redis' : '      '}: exit ${exit.code ?? exit.signal} after ${exit.ms} ms${exit.timedOut ? ' (killed: no exit)' : ''}`)
        expect(exit.timedOut, `${component} did not exit after SIGTERM:\n${c.process.output().slice(-2000)}`).toBe(false)
        expect(exit.ms).toBeLessThan(EXIT_WITHIN_MS)
        expect(exit.code).toBe(0)
        // It ended by itself, not through the CLI's safety nets for a hung close or a leaked handle.
        expect(c.process.output()).not.toMatch(/a handle was left open|did not close in time/)
      })
    }
  }
})
