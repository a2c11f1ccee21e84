import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CACHE_HIT, CACHE_SAVED_USD, CACHE_STATUS } from '../../lib/attributes.ts'
import { KEY, OTHER_KEY, jsonHeaders, post, sleep, startHarness, type Harness } from './harness.ts'

const RPM_KEY = 'lg-test-key-rpm-0003'
const BUDGET_KEY = 'lg-test-key-budget-0004'
const TPM_KEY = 'lg-test-key-tpm-00005'
const price = { input: '0.15', output: '0.6' }

let h: Harness
let openai: OpenAI
beforeAll(async () => {
  h = await startHarness({
    gateway: () => ({
      routes: [
        { name: 'chat', targets: [{ provider: 'sim', model: 'sim-small', price }], cache: { ttlSeconds: 300 } },
        { name: 'short', targets: [{ provider: 'sim', model: 'sim-small', price }], cache: { ttlSeconds: 1 } },
        {
          name: 'tiny',
          targets: [{ provider: 'sim', model: 'sim-small', price }],
          cache: { ttlSeconds: 300, maxEntryBytes: 200 },
        },
        {
          name: 'captured',
          targets: [{ provider: 'sim', model: 'sim-small', price }],
          cache: { ttlSeconds: 300 },
          capture: 'on',
        },
        { name: 'plain', targets: [{ provider: 'sim', model: 'sim-small', price }] },
        {
          name: 'claude',
          targets: [{ provider: 'simant', model: 'sim-claude', price: { input: '3', output: '15' } }],
          cache: { ttlSeconds: 300 },
        },
        {
          name: 'embed',
          targets: [{ provider: 'sim', model: 'sim-embed', price: { input: '0.02', output: '0' } }],
          cache: { ttlSeconds: 300 },
        },
      ],
      tenants: [
        { id: 'acme', keys: [{ key: KEY }] },
        { id: 'beta', keys: [{ key: OTHER_KEY }] },
        { id: 'gamma', keys: [{ key: RPM_KEY }], rateLimits: { rpm: 3 } },
        { id: 'delta', keys: [{ key: BUDGET_KEY }], budgets: { usdPerDay: '0.00002' } },
        { id: 'epsilon', keys: [{ key: TPM_KEY }], rateLimits: { tpm: 10 } },
      ],
    }),
  })
  openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY, maxRetries: 0 })
})
afterAll(() => h.close())
beforeEach(() => {
  h.sim.reset()
  h.exporter.reset()
})

const chatUrl = () => `${h.url}/v1/chat/completions`
let n = 0
/** A body no earlier test sent (the cache lives as long as the gateway). */
const fresh = (extra: Record<string, unknown> = {}, model = 'chat') => ({
  model,
  messages: [{ role: 'user', content: `question ${++n}` }],
  ...extra,
})
const minute = () => Math.floor(Date.now() / 60_000)
const upstreamCalls = () => h.sim.requests.filter((r) => !r.path.endsWith('/models')).length

describe('response cache: hit, miss, bypass, refresh', () => {
  it('answers an identical request from the cache: same body, no upstream call, zero cost, saved cost', async () => {
    const body = fresh()
    const a = await post(chatUrl(), body)
    expect(a.status).toBe(200)
    expect(a.headers.get('x-loopgate-cache')).toBe('miss')
    const b = await post(chatUrl(), body)
    expect(b.status).toBe(200)
    expect(b.headers.get('x-loopgate-cache')).toBe('hit')
    expect(b.text).toBe(a.text)
    expect(upstreamCalls()).toBe(1)
    expect(b.headers.get('x-loopgate-cost-usd')).toBe('0')
    expect(a.headers.get('x-loopgate-cost-usd')).not.toBe('0')
    expect(b.headers.get('x-loopgate-saved-usd')).toBe(a.headers.get('x-loopgate-cost-usd'))
    expect(b.headers.get('content-type')).toBe('application/json')
  })

  it('ignores user, metadata, store, stream_options and key order; any other field makes a new request', async () => {
    const body = fresh({ temperature: 0 })
    const a = await post(chatUrl(), body)
    const reordered = {
      temperature: 0,
      messages: body.messages,
      model: 'chat',
      user: 'u-42',
      metadata: { run: '7' },
      store: false,
    }
    const b = await post(chatUrl(), reordered)
    expect(b.headers.get('x-loopgate-cache')).toBe('hit')
    expect(b.text).toBe(a.text)
    const c = await post(chatUrl(), { ...body, temperature: 0.5 })
    expect(c.headers.get('x-loopgate-cache')).toBe('miss')
    expect(upstreamCalls()).toBe(2)
  })

  it('x-loopgate-cache: bypass neither reads nor keeps', async () => {
    const body = fresh()
    const bypass = { ...jsonHeaders(), 'x-loopgate-cache': 'bypass' }
    const a = await post(chatUrl(), body, bypass)
    expect(a.headers.get('x-loopgate-cache')).toBe('bypass')
    const b = await post(chatUrl(), body)
    expect(b.headers.get('x-loopgate-cache')).toBe('miss')
    const c = await post(chatUrl(), body, bypass)
    expect(c.headers.get('x-loopgate-cache')).toBe('bypass')
    expect(c.text).not.toBe(b.text)
    expect(upstreamCalls()).toBe(3)
  })

  it('x-loopgate-cache: refresh and cache-control: no-cache fetch a fresh answer and keep it', async () => {
    const body = fresh()
    const a = await post(chatUrl(), body)
    const r = await post(chatUrl(), body, { ...jsonHeaders(), 'x-loopgate-cache': 'refresh' })
    expect(r.headers.get('x-loopgate-cache')).toBe('miss')
    expect(r.text).not.toBe(a.text)
    const b = await post(chatUrl(), body)
    expect(b.headers.get('x-loopgate-cache')).toBe('hit')
    expect(b.text).toBe(r.text)
    const nc = await post(chatUrl(), body, { ...jsonHeaders(), 'cache-control': 'no-cache' })
    expect(nc.headers.get('x-loopgate-cache')).toBe('miss')
    expect(nc.text).not.toBe(r.text)
    const c = await post(chatUrl(), body)
    expect(c.text).toBe(nc.text)
    expect(upstreamCalls()).toBe(3)
  })

  it('refuses an unknown x-loopgate-cache value with a 400 naming the choices', async () => {
    const r = await post(chatUrl(), fresh(), { ...jsonHeaders(), 'x-loopgate-cache': 'sometimes' })
    expect(r.status).toBe(400)
    expect(r.json.error.message).toMatch(/bypass.*refresh/)
  })

  it('a route without cache config never caches and sends no x-loopgate-cache header', async () => {
    const body = fresh({}, 'plain')
    const a = await post(chatUrl(), body)
    const b = await post(chatUrl(), body)
    expect(a.headers.get('x-loopgate-cache')).toBeNull()
    expect(b.text).not.toBe(a.text)
    expect(upstreamCalls()).toBe(2)
  })

  it('an entry expires after ttlSeconds', async () => {
    const body = fresh({}, 'short')
    const a = await post(chatUrl(), body)
    expect((await post(chatUrl(), body)).text).toBe(a.text)
    await sleep(1_100)
    const c = await post(chatUrl(), body)
    expect(c.headers.get('x-loopgate-cache')).toBe('miss')
    expect(c.text).not.toBe(a.text)
  })

  it('an answer larger than maxEntryBytes is served but not kept', async () => {
    const body = fresh({}, 'tiny')
    const a = await post(chatUrl(), body)
    expect(a.status).toBe(200)
    expect(a.text.length).toBeGreaterThan(200)
    const b = await post(chatUrl(), body)
    expect(b.headers.get('x-loopgate-cache')).toBe('miss')
    // A stream that outgrows the bound is relayed whole and not kept either.
    const streamed = { ...body, stream: true }
    const s1 = await post(chatUrl(), streamed)
    expect(s1.text).toMatch(/data: \[DONE\]/)
    expect((await post(chatUrl(), streamed)).headers.get('x-loopgate-cache')).toBe('miss')
    expect(upstreamCalls()).toBe(4)
    const metrics = await (await fetch(`${h.url}/metrics`)).text()
    expect(metrics).toMatch(/loopgate_response_cache_requests_total\{outcome="too_large"\} [4-9]/)
  })
})

describe('response cache: what is never served from it', () => {
  it('two tenants sending the same body never share an entry', async () => {
    const body = fresh()
    const a = await post(chatUrl(), body)
    const b = await post(chatUrl(), body, jsonHeaders(OTHER_KEY))
    expect(b.status).toBe(200)
    expect(b.headers.get('x-loopgate-cache')).toBe('miss')
    expect(b.text).not.toBe(a.text)
    const c = await post(chatUrl(), body, jsonHeaders(OTHER_KEY))
    expect(c.headers.get('x-loopgate-cache')).toBe('hit')
    expect(c.text).toBe(b.text)
    expect((await post(chatUrl(), body)).text).toBe(a.text)
    expect(upstreamCalls()).toBe(2)
  })

  it('an error answer is not kept', async () => {
    const body = fresh()
    h.sim.script('sim-small', { kind: 'error', status: 400, message: 'bad request' })
    const a = await post(chatUrl(), body)
    expect(a.status).toBe(400)
    const b = await post(chatUrl(), body)
    expect(b.status).toBe(200)
    expect(b.headers.get('x-loopgate-cache')).toBe('miss')
    expect((await post(chatUrl(), body)).headers.get('x-loopgate-cache')).toBe('hit')
  })

  it('a stream cut mid-way is not kept', async () => {
    const body = fresh({ stream: true })
    h.sim.script('sim-small', { kind: 'cut' })
    const a = await post(chatUrl(), body)
    expect(a.text).toMatch(/upstream stream failed/)
    const b = await post(chatUrl(), body)
    expect(b.headers.get('x-loopgate-cache')).toBe('miss')
    expect(b.text).toMatch(/data: \[DONE\]/)
    expect((await post(chatUrl(), body)).headers.get('x-loopgate-cache')).toBe('hit')
  })
})

describe('response cache: streaming replay with the official SDKs', () => {
  it('openai SDK reads a replayed stream like the original, with and without include_usage', async () => {
    const messages = [{ role: 'user' as const, content: `stream question ${++n}` }]
    const read = async (usage: boolean) => {
      const { data: stream, response } = await openai.chat.completions
        .create({
          model: 'chat',
          messages,
          stream: true,
          ...(usage ? { stream_options: { include_usage: true } } : {}),
        })
        .withResponse()
      let text = ''
      let id = ''
      let finish: string | null = null
      let total: number | undefined
      for await (const chunk of stream) {
        id = chunk.id
        text += chunk.choices[0]?.delta.content ?? ''
        finish = chunk.choices[0]?.finish_reason ?? finish
        if (chunk.usage) total = chunk.usage.total_tokens
      }
      return { text, id, finish, total, cache: response.headers.get('x-loopgate-cache') }
    }
    const a = await read(false)
    const b = await read(false)
    expect(a.cache).toBe('miss')
    expect(b).toEqual({ ...a, cache: 'hit' })
    expect(b.text).toMatch(/\w/)
    expect(b.finish).toBe('stop')
    const u1 = await read(true)
    expect(u1.cache).toBe('miss')
    expect(u1.total).toBeGreaterThan(0)
    const u2 = await read(true)
    expect(u2).toEqual({ ...u1, cache: 'hit' })
    // A JSON request of the same messages is its own entry.
    const json = await post(chatUrl(), { model: 'chat', messages })
    expect(json.headers.get('x-loopgate-cache')).toBe('miss')
    expect(upstreamCalls()).toBe(3)
  })

  it('openai SDK stream helper finalChatCompletion works on a hit', async () => {
    const messages = [{ role: 'user' as const, content: `helper question ${++n}` }]
    const first = await openai.chat.completions.stream({ model: 'chat', messages }).finalChatCompletion()
    const second = await openai.chat.completions.stream({ model: 'chat', messages }).finalChatCompletion()
    expect(second.choices[0]!.message.content).toBe(first.choices[0]!.message.content)
    expect(second.id).toBe(first.id)
    expect(upstreamCalls()).toBe(1)
  })

  it('Anthropic messages: JSON and streamed answers served from the cache through the Anthropic SDK', async () => {
    const anthropic = new Anthropic({ baseURL: h.url, apiKey: KEY, maxRetries: 0 })
    const params = {
      model: 'claude',
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: `anthropic question ${++n}` }],
    }
    const a = await anthropic.messages.create(params)
    const { data: b, response } = await anthropic.messages.create(params).withResponse()
    expect(response.headers.get('x-loopgate-cache')).toBe('hit')
    expect(b).toEqual(a)
    const s1 = await anthropic.messages.stream(params).finalMessage()
    const stream = anthropic.messages.stream(params)
    const s2 = await stream.finalMessage()
    expect(s2).toEqual(s1)
    expect(upstreamCalls()).toBe(2)
  })

  it('embeddings are cached too', async () => {
    const body = { model: 'embed', input: `embed me ${++n}` }
    const a = await post(`${h.url}/v1/embeddings`, body)
    const b = await post(`${h.url}/v1/embeddings`, body)
    expect(b.headers.get('x-loopgate-cache')).toBe('hit')
    expect(b.text).toBe(a.text)
    expect(upstreamCalls()).toBe(1)
  })
})

describe('response cache: spans, rate limits and budgets', () => {
  it('a hit is a request span with loopgate.cache.hit, zero cost, the cost it saved and no attempt', async () => {
    await h.spans() // earlier tests' spans out of the way
    h.exporter.reset()
    const body = fresh()
    const a = await post(chatUrl(), body)
    await post(chatUrl(), body)
    const spans = await h.spans()
    const requests = spans.filter((s) => s.attributes['loopgate.span'] === 'request')
    expect(requests).toHaveLength(2)
    const [miss, hit] = requests
    expect(miss!.attributes[CACHE_HIT]).toBe(false)
    expect(miss!.attributes[CACHE_STATUS]).toBe('miss')
    expect(hit!.attributes[CACHE_HIT]).toBe(true)
    expect(hit!.attributes[CACHE_STATUS]).toBe('hit')
    expect(hit!.attributes['loopgate.cost_usd']).toBe('0')
    expect(hit!.attributes[CACHE_SAVED_USD]).toBe(a.headers.get('x-loopgate-cost-usd'))
    expect(hit!.attributes[CACHE_SAVED_USD]).toBe(miss!.attributes['loopgate.cost_usd'])
    expect(spans.filter((s) => s.attributes['loopgate.span'] === 'attempt')).toHaveLength(1)
  })

  it('with capture on, the hit span carries the kept output messages', async () => {
    await h.spans()
    h.exporter.reset()
    const body = fresh({}, 'captured')
    await post(chatUrl(), body)
    await post(chatUrl(), body)
    const [miss, hit] = (await h.spans()).filter((s) => s.attributes['loopgate.span'] === 'request')
    expect(hit!.attributes[CACHE_HIT]).toBe(true)
    expect(miss!.attributes['gen_ai.output.messages']).toMatch(/assistant/)
    expect(hit!.attributes['gen_ai.output.messages']).toBe(miss!.attributes['gen_ai.output.messages'])
    expect(hit!.attributes['gen_ai.input.messages']).toBe(miss!.attributes['gen_ai.input.messages'])
  })

  it('hits count towards rpm', async () => {
    const body = fresh()
    const m0 = minute()
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await post(chatUrl(), body, jsonHeaders(RPM_KEY))).status)
    // One miss and two hits use up rpm 3 (the same minute from the first request to the last; else nothing is checked).
    if (minute() === m0) expect(statuses).toEqual([200, 200, 200, 429])
  })

  it('hits neither count towards tpm nor are refused by it', async () => {
    const body = fresh()
    const m0 = minute()
    const a = await post(chatUrl(), body, jsonHeaders(TPM_KEY))
    expect(a.status).toBe(200)
    // The first answer's tokens (more than 10) use up this minute's tpm: a new request is refused, a hit is served.
    const other = await post(chatUrl(), fresh(), jsonHeaders(TPM_KEY))
    const b = await post(chatUrl(), body, jsonHeaders(TPM_KEY))
    expect(b.status).toBe(200)
    expect(b.headers.get('x-loopgate-cache')).toBe('hit')
    if (minute() !== m0) return // the window turned over mid-test: the refusal is not checked
    expect(other.status).toBe(429)
    expect(other.headers.get('x-loopgate-limit')).toBe('tpm')
  })

  it('hits are served when the USD budget is spent (they cost nothing)', async () => {
    const body = fresh({ max_tokens: 16 })
    const a = await post(chatUrl(), body, jsonHeaders(BUDGET_KEY))
    expect(a.status).toBe(200)
    const other = await post(chatUrl(), fresh({ max_tokens: 16 }), jsonHeaders(BUDGET_KEY))
    expect(other.status).toBe(402)
    const b = await post(chatUrl(), body, jsonHeaders(BUDGET_KEY))
    expect(b.status).toBe(200)
    expect(b.headers.get('x-loopgate-cache')).toBe('hit')
  })
})
