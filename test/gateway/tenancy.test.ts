import OpenAI from 'openai'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, KEY, OTHER_KEY, jsonHeaders, post, startHarness, type Harness } from './harness.ts'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { usdToUnits } from '../../lib/money.ts'

let h: Harness | undefined
let h2: Harness | undefined
afterEach(async () => {
  await h?.close()
  await h2?.close()
  h = h2 = undefined
})

const chat = (model = 'chat') => ({ model, messages: [{ role: 'user', content: 'hello there' }] })
const admin = { authorization: `Bearer ${ADMIN}` }
const PRICE = { input: '1000', output: '2000' } // USD per million tokens: 0.001 / 0.002 per token

/** Exact expected cost in 1e-12 USD from token counts. */
const units = (input: number, output: number) => BigInt(input) * 1_000_000_000n + BigInt(output) * 2_000_000_000n
const usd = (u: bigint) => {
  const s = u.toString().padStart(13, '0')
  return `${s.slice(0, -12)}.${s.slice(-12).replace(/0+$/, '') || '0'}`
}

describe('tenancy', () => {
  it('refuses over the rate limit with 429, naming the limit, its value and the reset', async () => {
    h = await startHarness({
      gateway: () => ({ tenants: [{ id: 'acme', rateLimits: { rpm: 3 }, keys: [{ key: KEY }] }] }),
    })
    for (let i = 0; i < 3; i++) expect((await post(`${h.url}/v1/chat/completions`, chat())).status).toBe(200)
    const r = await post(`${h.url}/v1/chat/completions`, chat())
    expect(r.status).toBe(429)
    expect(r.json.error.message).toMatch(
      /tenant "acme" reached its rpm limit of 3 requests\/minute; it resets at \d{4}-/,
    )
    expect(r.headers.get('x-loopgate-limit')).toBe('rpm')
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('settles a budget exactly, then refuses with 402 when what is left cannot hold the next worst case', async () => {
    h = await startHarness({
      gateway: () => ({
        routes: [{ name: 'chat', targets: [{ provider: 'sim', model: 'm', price: PRICE }] }],
        tenants: [{ id: 'acme', budgets: { usdPerDay: '0.12' }, keys: [{ key: KEY }] }],
      }),
    })
    const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY, maxRetries: 0 })
    let expected = 0n
    const first = (await client.chat.completions.create({
      ...chat(),
      max_tokens: 16,
    } as never)) as OpenAI.ChatCompletion
    expected += units(first.usage!.prompt_tokens, first.usage!.completion_tokens) // 3 + 16 tokens → 0.035
    const stream = (await client.chat.completions.create({
      ...chat(),
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    } as never)) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>
    for await (const c of stream) if (c.usage) expected += units(c.usage.prompt_tokens, c.usage.completion_tokens)
    const spend = (await (await fetch(`${h.url}/admin/tenants/acme/spend`, { headers: admin })).json()) as {
      today: string
    }
    expect(spend.today).toBe(usd(expected)) // to the last 1e-12: reservations were released to the settled cost
    const refused = await post(`${h.url}/v1/chat/completions`, { ...chat(), max_tokens: 16 })
    expect(refused.status).toBe(402)
    expect(refused.json.error.code).toBe('budget_exceeded')
    expect(refused.json.error.message).toContain(
      `tenant "acme" has $${usd(120_000_000_000n - expected)} left of its usd_per_day limit of $0.12/day; this request may cost up to $`,
    )
    expect(refused.headers.get('x-loopgate-budget-remaining-usd')).toBe(usd(120_000_000_000n - expected))
    const spans = (await h.spans()).filter(
      (s) => s.attributes['loopgate.span'] === 'request' && s.attributes['loopgate.cost_usd'],
    )
    const fromSpans = spans.reduce(
      (a, s) =>
        a +
        BigInt(String(s.attributes['loopgate.cost_usd']).replace('.', '').replace(/^0+/, '') || '0') *
          10n ** BigInt(12 - String(s.attributes['loopgate.cost_usd']).split('.')[1]!.length),
      0n,
    )
    expect(fromSpans).toBe(expected)
  })

  it('holds nothing for a key without any limit, and still counts its spend exactly', async () => {
    h = await startHarness({
      gateway: () => ({
        routes: [{ name: 'chat', targets: [{ provider: 'sim', model: 'm', price: PRICE }] }],
        tenants: [{ id: 'acme', keys: [{ key: KEY }] }],
      }),
    })
    let expected = 0n
    for (const stream of [false, true]) {
      const r = await post(`${h.url}/v1/chat/completions`, {
        ...chat(),
        max_tokens: 16,
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      })
      expect(r.status).toBe(200)
      expect(r.headers.get('x-loopgate-reserved-usd')).toBeNull() // no reservation taken
      const usage = stream
        ? JSON.parse(
            r.text
              .split('\n\n')
              .filter((f) => f.includes('"usage":{'))
              .at(-1)!
              .slice(6),
          ).usage
        : r.json.usage
      expected += units(usage.prompt_tokens, usage.completion_tokens)
    }
    const spend = (await (await fetch(`${h.url}/admin/tenants/acme/spend`, { headers: admin })).json()) as {
      today: string
    }
    expect(spend.today).toBe(usd(expected))
  })

  it('enforces the per-key route allow-list', async () => {
    h = await startHarness()
    expect((await post(`${h.url}/v1/chat/completions`, chat('chat'), jsonHeaders(OTHER_KEY))).status).toBe(200)
    const r = await post(`${h.url}/v1/chat/completions`, chat('claude'), jsonHeaders(OTHER_KEY))
    expect(r.status).toBe(404)
    const models = (await (await fetch(`${h.url}/v1/models`, { headers: jsonHeaders(OTHER_KEY) })).json()) as {
      data: { id: string }[]
    }
    expect(models.data.map((m) => m.id)).toEqual(['chat'])
  })
})

describe('with a real redis-server', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(() => redis.stop())

  it('shares rate-limit counters between two gateways', async () => {
    const gateway = () => ({ tenants: [{ id: 'acme', rateLimits: { rpm: 4 }, keys: [{ key: KEY }] }] })
    h = await startHarness({ redisUrl: redis.url, gateway })
    h2 = await startHarness({ redisUrl: redis.url, gateway })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++)
      statuses.push((await post(`${(i % 2 ? h2 : h).url}/v1/chat/completions`, chat())).status)
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429])
  })

  it('holds budgets to the last 1e-12 USD beyond 2^53 units ($9007), where Lua doubles would round', async () => {
    h = await startHarness({
      redisUrl: redis.url,
      gateway: () => ({
        routes: [{ name: 'chat', targets: [{ provider: 'sim', model: 'm', price: PRICE }] }],
        tenants: [{ id: 'big', budgets: { usdPerMonth: '20000' }, keys: [{ key: KEY }] }],
      }),
    })
    const body = { ...chat(), max_tokens: 16 }
    const first = await post(`${h.url}/v1/chat/completions`, body)
    expect(first.status).toBe(200)
    const reserved = usdToUnits(first.headers.get('x-loopgate-reserved-usd')!)
    const cap = 20_000n * 10n ** 12n // 2e16 units: doubles there are 4 units apart
    const { Redis } = await import('ioredis')
    const direct = new Redis(redis.url)
    const monthKey = `loopgate:limits:{t:big}:usd:${new Date().toISOString().slice(0, 7)}`
    try {
      await direct.set(monthKey, (cap - reserved).toString()) // exactly fits
      expect((await post(`${h.url}/v1/chat/completions`, body)).status).toBe(200)
      await direct.set(monthKey, (cap - reserved + 1n).toString()) // one unit short
      const refused = await post(`${h.url}/v1/chat/completions`, body)
      expect(refused.status).toBe(402)
      expect(refused.headers.get('x-loopgate-budget-remaining-usd')).toBe(usd(reserved - 1n))
    } finally {
      direct.disconnect()
    }
  })

  it('gives both gateways the same routing table version through pub/sub', async () => {
    const gateway = () => ({
      routes: [
        {
          name: 'r',
          targets: [
            { provider: 'sim', model: 'a' },
            { provider: 'sim', model: 'b', weight: 0 },
          ],
        },
      ],
    })
    h = await startHarness({ redisUrl: redis.url, gateway })
    h2 = await startHarness({ redisUrl: redis.url, gateway })
    const v0 = h.gw.routingVersion()
    expect(h2.gw.routingVersion()).toBe(v0)
    // Both gateways have a provider named "sim" (each its own simulator), so the table is valid on both.
    const put = await fetch(`${h.url}/admin/routing`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        routes: [
          {
            name: 'r',
            targets: [
              { provider: 'sim', model: 'a', weight: 0 },
              { provider: 'sim', model: 'b' },
            ],
          },
        ],
        reason: 'test',
      }),
    })
    expect(put.status).toBe(200)
    const { version } = (await put.json()) as { version: number }
    expect(version).toBe(v0 + 1)
    const deadline = Date.now() + 10_000
    while (h2.gw.routingVersion() !== version && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(h2.gw.routingVersion()).toBe(version)
    const r = await post(`${h2.url}/v1/chat/completions`, { model: 'r', messages: [{ role: 'user', content: 'x' }] })
    expect(r.headers.get('x-loopgate-target')).toBe('sim/b')
    expect(r.headers.get('x-loopgate-routing-version')).toBe(String(version))
    const audit = (await (await fetch(`${h2.url}/admin/routing/audit`, { headers: admin })).json()) as {
      entries: { version: number }[]
    }
    expect(audit.entries[0]!.version).toBe(version)
  })
})
