import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, post, startHarness, type Harness } from '../gateway/harness.ts'
import { freePort } from '../helpers/net.ts'

// Issue 15, "One healthy target is enough": a route with one misbehaving target and one healthy
// target must answer (nearly) every request; the misbehaving target leaves rotation meanwhile.

const N = 300
const CONCURRENCY = 10
const admin = { authorization: `Bearer ${ADMIN}` }
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] })
const t = (provider: string, model: string) => ({ provider, model, weight: 1 })

let h: Harness
beforeAll(async () => {
  const closed = await freePort() // nothing listens there: connections are refused
  h = await startHarness({
    sim: {
      models: { limited: { rateLimitRate: 1, retryAfterSeconds: 1 }, broken: { errorRate: 1 }, hung: { hangRate: 1 } },
    },
    gateway: (sim) => ({
      providers: {
        sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' },
        dead: { protocol: 'openai', baseUrl: `http://127.0.0.1:${closed}/v1`, apiKeyEnv: 'SIM_KEY' },
      },
      routes: [
        { name: 'r429', targets: [t('sim', 'limited'), t('sim', 'good')] },
        { name: 'r500', targets: [t('sim', 'broken'), t('sim', 'good')] },
        { name: 'refused', targets: [t('dead', 'gone'), t('sim', 'good')] },
        { name: 'hanging', targets: [t('sim', 'hung'), t('sim', 'good')], policy: { timeouts: { firstByteMs: 1000 } } },
        { name: 'single', targets: [t('sim', 'solo')] },
      ],
    }),
  })
})
afterAll(async () => {
  await h?.close()
})

type Board = { targets: { id: string; breaker: string; cooldown: { until: string; reason: string } | null }[] }
const board = async () => (await (await fetch(`${h.url}/admin/targets`, { headers: admin })).json()) as Board

/** N requests with bounded concurrency; returns the statuses. */
async function load(
  model: string,
  during?: () => Promise<void>,
): Promise<{ ok: number; statuses: Record<number, number>; seconds: number }> {
  const statuses: Record<number, number> = {}
  let next = 0
  let finished = false
  const started = Date.now()
  const worker = async () => {
    while (next < N) {
      next++
      const r = await post(`${h.url}/v1/chat/completions`, chat(model))
      statuses[r.status] = (statuses[r.status] ?? 0) + 1
    }
  }
  const watcher = (async () => {
    while (during && !finished) {
      await during()
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  finished = true
  await watcher
  const seconds = (Date.now() - started) / 1000
  const ok = statuses[200] ?? 0
  console.log(
    `${model}: ${ok}/${N} succeeded (${((ok / N) * 100).toFixed(1)}%) in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(statuses)}`,
  )
  return { ok, statuses, seconds }
}

describe('failover with one healthy target', () => {
  it('429 (Retry-After 1 s) + healthy: ≥ 99.9% succeed, and the 429 target cools down out of rotation', async () => {
    let seenCooling: { until: string; reason: string } | null = null
    const before = h.sim.requests.length
    const r = await load('r429', async () => {
      const limited = (await board()).targets.find((x) => x.id === 'sim/limited')
      if (limited?.cooldown) seenCooling = limited.cooldown
    })
    expect(r.ok / N).toBeGreaterThanOrEqual(0.999)
    expect(seenCooling).toMatchObject({ reason: 'rate limited (429)' })
    // Cooling, the 429 target was asked far less than half of the time.
    const asked = h.sim.requests.slice(before).filter((x) => x.model === 'limited').length
    console.log(`r429: the 429 target was asked ${asked} times for ${N} requests`)
    expect(asked).toBeLessThan(N / 2)
    // A 429 is no breaker failure: the target is busy, not broken.
    expect((await board()).targets.find((x) => x.id === 'sim/limited')!.breaker).toBe('closed')
  })

  it('500 + healthy: 100%', async () => {
    expect((await load('r500')).ok).toBe(N)
  })

  it('connection refused + healthy: 100%', async () => {
    expect((await load('refused')).ok).toBe(N)
  })

  it('hanging + healthy: 100%', async () => {
    expect((await load('hanging')).ok).toBe(N)
  })

  it('a single-target route retries the same target on 429, honouring Retry-After, within the attempt cap', async () => {
    h.sim.script('solo', { kind: 'rate_limit', retryAfterSeconds: 1 }, { kind: 'rate_limit', retryAfterSeconds: 1 })
    const before = h.sim.requests.length
    let started = Date.now()
    const r = await post(`${h.url}/v1/chat/completions`, chat('single'))
    expect(r.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1950)
    expect(h.sim.requests.slice(before).map((x) => x.model)).toEqual(['solo', 'solo', 'solo'])

    // Every attempt answered 429: the cap (maxAttempts 3) holds and the client gets the 429.
    h.sim.script(
      'solo',
      { kind: 'rate_limit', retryAfterSeconds: 1 },
      { kind: 'rate_limit', retryAfterSeconds: 1 },
      { kind: 'rate_limit', retryAfterSeconds: 1 },
      { kind: 'rate_limit', retryAfterSeconds: 1 },
    )
    const before2 = h.sim.requests.length
    started = Date.now()
    const r2 = await post(`${h.url}/v1/chat/completions`, chat('single'))
    expect(r2.status).toBe(429)
    expect(r2.headers.get('retry-after')).toBe('1')
    expect(h.sim.requests.slice(before2)).toHaveLength(3)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1950)
  })
})
