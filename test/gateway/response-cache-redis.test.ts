import { Redis } from 'ioredis'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { KEY, OTHER_KEY, eventually, jsonHeaders, post, startHarness, type Harness } from './harness.ts'

/** Two gateways on one real redis-server share the response cache; a Redis that stalls or dies is only a miss. */
const price = { input: '0.15', output: '0.6' }
const gateway = () => ({
  routes: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-small', price }], cache: { ttlSeconds: 300 } }],
  tenants: [
    { id: 'acme', keys: [{ key: KEY }] },
    { id: 'beta', keys: [{ key: OTHER_KEY }] },
  ],
})

let redis: RedisServer
let probe: Redis
let a: Harness
let b: Harness
beforeAll(async () => {
  redis = await startRedis()
  probe = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => {})
  a = await startHarness({ gateway, redisUrl: redis.url })
  b = await startHarness({ gateway, redisUrl: redis.url })
})
afterAll(async () => {
  probe?.disconnect()
  await a?.close()
  await b?.close()
  try {
    process.kill(redis.pid, 'SIGCONT')
  } catch {
    // already stopped by the last test
  }
  await redis?.stop()
})

let n = 0
const fresh = () => ({ model: 'chat', messages: [{ role: 'user', content: `shared question ${++n}` }] })
const calls = (h: Harness) => h.sim.requests.length
const entries = async () => (await probe.keys('loopgate:cache:*')).length
/** A miss keeps its answer after answering: wait until Redis holds one more entry (no race with the other gateway's read). */
async function kept(before: number): Promise<void> {
  await eventually(async () => (await entries()) > before)
}

describe('response cache shared through Redis', () => {
  it('an answer fetched by one gateway is a hit on the other (JSON and stream)', async () => {
    const body = fresh()
    let stored = await entries()
    const first = await post(`${a.url}/v1/chat/completions`, body)
    expect(first.headers.get('x-loopgate-cache')).toBe('miss')
    await kept(stored)
    const before = calls(b)
    const second = await post(`${b.url}/v1/chat/completions`, body)
    expect(second.headers.get('x-loopgate-cache')).toBe('hit')
    expect(second.text).toBe(first.text)
    expect(second.headers.get('x-loopgate-saved-usd')).toBe(first.headers.get('x-loopgate-cost-usd'))
    expect(calls(b)).toBe(before)

    const messages = [{ role: 'user' as const, content: `shared stream ${++n}` }]
    const read = async (h: Harness) => {
      const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY, maxRetries: 0 })
      const { data, response } = await client.chat.completions
        .create({ model: 'chat', messages, stream: true })
        .withResponse()
      let text = ''
      for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? ''
      return { text, cache: response.headers.get('x-loopgate-cache') }
    }
    stored = await entries()
    const s1 = await read(a)
    await kept(stored)
    const s2 = await read(b)
    expect(s1.cache).toBe('miss')
    expect(s2).toEqual({ text: s1.text, cache: 'hit' })
  })

  it('never across tenants, even through Redis', async () => {
    const body = fresh()
    const stored = await entries()
    const first = await post(`${a.url}/v1/chat/completions`, body)
    await kept(stored)
    const other = await post(`${b.url}/v1/chat/completions`, body, jsonHeaders(OTHER_KEY))
    expect(other.headers.get('x-loopgate-cache')).toBe('miss')
    expect(other.text).not.toBe(first.text)
  })

  it('a stalled Redis is a miss within the cache timeout, never a failed request', async () => {
    const body = fresh()
    const stored = await entries()
    await post(`${a.url}/v1/chat/completions`, body)
    await kept(stored)
    process.kill(redis.pid, 'SIGSTOP')
    try {
      const r = await post(`${b.url}/v1/chat/completions`, body)
      expect(r.status).toBe(200)
      expect(r.headers.get('x-loopgate-cache')).toBe('miss')
    } finally {
      process.kill(redis.pid, 'SIGCONT')
    }
  })

  it('entries carry Redis expiry (the route TTL) and no tenant id in clear', async () => {
    const [key] = await probe.keys('loopgate:cache:*')
    expect(key).toMatch(/^loopgate:cache:v1:[0-9a-f]{64}$/)
    const ttl = await probe.pttl(key!)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(300_000)
    expect(await probe.get(key!)).not.toMatch(/acme|beta/)
  })

  it('with Redis killed, requests are still served (as misses)', async () => {
    const body = fresh()
    await redis.stop()
    for (const h of [a, b]) {
      for (let i = 0; i < 2; i++) {
        const r = await post(`${h.url}/v1/chat/completions`, body)
        expect(r.status).toBe(200)
        expect(r.headers.get('x-loopgate-cache')).toBe('miss')
        expect(r.json.choices[0].message.content).toMatch(/\w/)
      }
    }
    const metrics = await (await fetch(`${a.url}/metrics`)).text()
    expect(metrics).toMatch(/loopgate_response_cache_redis_failures_total [1-9]/)
  })
})
