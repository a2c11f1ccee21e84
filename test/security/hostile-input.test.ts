import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MAX_EMBEDDING_DIMENSIONS,
  MAX_EMBEDDING_INPUTS,
  MAX_JSON_DEPTH,
  MAX_N,
  MAX_OUTPUT_TOKENS,
  MAX_TOP_LOGPROBS,
} from '../../lib/limits.ts'
import { gatewayConfigSchema } from '../../gateway/config.ts'
import { jsonHeaders, post, startHarness, type Harness } from '../gateway/harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.close())

const chatUrl = () => `${h.url}/v1/chat/completions`
const msgUrl = () => `${h.url}/v1/messages`
const embUrl = () => `${h.url}/v1/embeddings`
const user = [{ role: 'user', content: 'hi' }]

/** `{"a":{"a":…1…}}` nested `depth` levels, as text (a client sends it as text; JSON.stringify would overflow too). */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
/** A JSON body whose `metadata` (or `input`) holds `depth` levels of nesting. */
const bodyWith = (prefix: string, depth: number) => `${prefix.slice(0, -1)},"metadata":${nested(depth)}}`

/** The gateway still answers an ordinary request after the hostile one. */
async function stillServes() {
  const r = await post(chatUrl(), { model: 'chat', messages: user })
  expect(r.status).toBe(200)
}

describe('deeply nested JSON is refused with 400 before anything re-serializes it', () => {
  const cases: [string, () => string, string][] = [
    [
      'translated route (OpenAI client → Anthropic target)',
      chatUrl,
      JSON.stringify({ model: 'claude', messages: user }),
    ],
    ['/v1/messages', msgUrl, JSON.stringify({ model: 'claude', max_tokens: 10, messages: user })],
    ['/v1/messages to an OpenAI target', msgUrl, JSON.stringify({ model: 'chat', max_tokens: 10, messages: user })],
    ['stream: true', chatUrl, JSON.stringify({ model: 'chat', stream: true, messages: user })],
    ['plain chat', chatUrl, JSON.stringify({ model: 'chat', messages: user })],
    ['embeddings', embUrl, JSON.stringify({ model: 'embed', input: 'x' })],
  ]
  for (const [name, url, prefix] of cases) {
    it(`${name}: 10,000 levels → 400 naming the limit, and the next request is served`, async () => {
      const r = await post(url(), bodyWith(prefix, 10_000))
      expect(r.status, r.text.slice(0, 300)).toBe(400)
      expect(r.text).toContain(`${MAX_JSON_DEPTH}`)
      expect(r.text).toMatch(/nest/i)
      await stillServes()
    })
  }

  it('nesting in the messages themselves is refused too', async () => {
    const r = await post(
      chatUrl(),
      `{"model":"claude","messages":[{"role":"user","content":${`[${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}]`}}]}`,
    )
    expect(r.status).toBe(400)
    await stillServes()
  })

  it('exactly the documented depth is still accepted', async () => {
    // the body object itself is level 1, metadata level 2: MAX_JSON_DEPTH - 1 more levels inside it
    const r = await post(chatUrl(), bodyWith(JSON.stringify({ model: 'claude', messages: user }), MAX_JSON_DEPTH - 1))
    expect(r.status, r.text.slice(0, 300)).toBe(200)
    const over = await post(chatUrl(), bodyWith(JSON.stringify({ model: 'claude', messages: user }), MAX_JSON_DEPTH))
    expect(over.status).toBe(400)
  })
})

describe('numeric parameters that size work are bounded', () => {
  it('embeddings dimensions 100000000 → 400 fast, and nothing reaches the provider', async () => {
    const before = h.sim.requests.length
    const t0 = performance.now()
    const r = await post(embUrl(), { model: 'embed', input: 'hello', dimensions: 100_000_000 })
    const ms = performance.now() - t0
    expect(r.status).toBe(400)
    expect(r.json.error.param).toBe('dimensions')
    expect(r.json.error.message).toContain(String(MAX_EMBEDDING_DIMENSIONS))
    expect(ms).toBeLessThan(2_000)
    expect(h.sim.requests.length).toBe(before)
    await stillServes()
  })

  it('refuses each out-of-range sizing parameter with 400 naming it; values at the limit pass', async () => {
    const cases: [() => string, Record<string, unknown>, string][] = [
      [embUrl, { model: 'embed', input: 'x', dimensions: MAX_EMBEDDING_DIMENSIONS + 1 }, 'dimensions'],
      [embUrl, { model: 'embed', input: 'x', dimensions: 0 }, 'dimensions'],
      [embUrl, { model: 'embed', input: 'x', dimensions: 1.5 }, 'dimensions'],
      [embUrl, { model: 'embed', input: Array.from({ length: MAX_EMBEDDING_INPUTS + 1 }, () => 'x') }, 'input'],
      [chatUrl, { model: 'chat', messages: user, max_tokens: MAX_OUTPUT_TOKENS + 1 }, 'max_tokens'],
      [
        chatUrl,
        { model: 'chat', messages: user, max_completion_tokens: MAX_OUTPUT_TOKENS + 1 },
        'max_completion_tokens',
      ],
      [chatUrl, { model: 'chat', messages: user, logprobs: true, top_logprobs: MAX_TOP_LOGPROBS + 1 }, 'top_logprobs'],
      [chatUrl, { model: 'chat', messages: user, top_logprobs: -1 }, 'top_logprobs'],
      [msgUrl, { model: 'claude', messages: user, max_tokens: MAX_OUTPUT_TOKENS + 1 }, 'max_tokens'],
      [
        msgUrl,
        {
          model: 'claude',
          messages: user,
          max_tokens: 100,
          thinking: { type: 'enabled', budget_tokens: MAX_OUTPUT_TOKENS + 1 },
        },
        'thinking.budget_tokens',
      ],
    ]
    const before = h.sim.requests.length
    for (const [url, body, param] of cases) {
      const r = await post(url(), body)
      expect(r.status, `${param}: ${r.text.slice(0, 200)}`).toBe(400)
      expect(r.text, param).toContain(param)
    }
    expect(h.sim.requests.length).toBe(before)

    const atLimit: [() => string, Record<string, unknown>][] = [
      [embUrl, { model: 'embed', input: ['a', 'b'], dimensions: 16 }],
      [embUrl, { model: 'embed', input: Array.from({ length: MAX_EMBEDDING_INPUTS }, () => 'x'), dimensions: 1 }],
      [
        chatUrl,
        {
          model: 'chat',
          messages: user,
          max_tokens: MAX_OUTPUT_TOKENS,
          logprobs: true,
          top_logprobs: MAX_TOP_LOGPROBS,
        },
      ],
      [msgUrl, { model: 'claude', messages: user, max_tokens: MAX_OUTPUT_TOKENS }],
    ]
    for (const [url, body] of atLimit) {
      const r = await post(url(), body)
      expect(r.status, r.text.slice(0, 200)).toBe(200)
    }
  })

  it('the configurable n has a ceiling in lib/limits.ts', () => {
    expect(gatewayConfigSchema.safeParse({ maxN: MAX_N }).success).toBe(true)
    const r = gatewayConfigSchema.safeParse({ maxN: MAX_N + 1 })
    expect(r.success).toBe(false)
  })

  it('the simulator bounds its own work too (called directly, without the gateway)', async () => {
    const res = await fetch(`${h.sim.openaiBaseUrl}/embeddings`, {
      method: 'POST',
      headers: jsonHeaders('sk-upstream-secret-7f3a9c'),
      body: JSON.stringify({ model: 'sim-embed', input: 'x', dimensions: 100_000_000 }),
    })
    expect(res.status).toBe(400)
    const chat = await fetch(`${h.sim.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: jsonHeaders('sk-upstream-secret-7f3a9c'),
      body: JSON.stringify({ model: 'sim-small', messages: user, n: 100_000_000 }),
    })
    expect(chat.status).toBe(400)
  })
})
