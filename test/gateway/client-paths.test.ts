import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { countTokens } from 'gpt-tokenizer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, KEY, OTHER_KEY, startHarness, type Harness } from './harness.ts'

const LIMITED_KEY = 'lg-test-key-gamma-0003'
let h: Harness
let openai: OpenAI
let anthropic: Anthropic
beforeAll(async () => {
  h = await startHarness({
    gateway: () => ({
      routes: [
        { name: 'chat', targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }] },
        { name: 'claude', targets: [{ provider: 'simant', model: 'sim-claude', price: { input: '3', output: '15' } }] },
        {
          name: 'claude-via-openai',
          targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }],
        },
        {
          name: 'team/chat',
          targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }],
        },
      ],
      tenants: [
        { id: 'acme', keys: [{ key: KEY }] },
        { id: 'beta', keys: [{ key: OTHER_KEY, routes: ['chat'] }] },
        // Counting is rate-limited like any request, but never refused by (or charged to) a budget.
        { id: 'gamma', rateLimits: { rpm: 2 }, budgets: { usdPerDay: '0.000001' }, keys: [{ key: LIMITED_KEY }] },
      ],
    }),
  })
  openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY, maxRetries: 0 })
  anthropic = new Anthropic({ baseURL: h.url, apiKey: KEY, maxRetries: 0 })
})
afterAll(() => h.close())

const system = 'You are a terse assistant that answers in one sentence.'
const messages: Anthropic.MessageParam[] = [
  { role: 'user', content: 'What is the capital of France, and why is it famous?' },
  { role: 'assistant', content: 'Paris; for art, food and the Eiffel Tower.' },
  { role: 'user', content: [{ type: 'text', text: 'And the weather there today?' }] },
]
const tools: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
]

describe('GET /v1/models/{id} (openai models.retrieve)', () => {
  it('returns the model object of a route the key may use', async () => {
    const m = await openai.models.retrieve('chat')
    expect(m).toMatchObject({ id: 'chat', object: 'model', owned_by: 'loopgate' })
    expect(typeof m.created).toBe('number')
  })

  it('handles ids with a slash, URL-encoded (the SDK) or raw', async () => {
    expect((await openai.models.retrieve('team/chat')).id).toBe('team/chat')
    const raw = await fetch(`${h.url}/v1/models/team/chat`, { headers: { authorization: `Bearer ${KEY}` } })
    expect(raw.status).toBe(200)
    expect(((await raw.json()) as { id: string }).id).toBe('team/chat')
  })

  it('404 model_not_found for an unknown route or one the key may not use', async () => {
    const unknown = await openai.models.retrieve('nope').catch((e) => e)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect(unknown.code).toBe('model_not_found')
    const limited = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: OTHER_KEY, maxRetries: 0 })
    expect((await limited.models.retrieve('chat')).id).toBe('chat')
    const forbidden = await limited.models.retrieve('claude').catch((e) => e)
    expect(forbidden).toBeInstanceOf(OpenAI.NotFoundError)
    expect(forbidden.code).toBe('model_not_found')
  })

  it('401 without a valid key', async () => {
    const bad = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'wrong-key-123456', maxRetries: 0 })
    await expect(bad.models.retrieve('chat')).rejects.toBeInstanceOf(OpenAI.AuthenticationError)
  })
})

describe('POST /v1/messages/count_tokens (anthropic messages.countTokens)', () => {
  it('passes through to an Anthropic-protocol target: the upstream count', async () => {
    const before = h.sim.requests.length
    const { data, response } = await anthropic.messages
      .countTokens({ model: 'claude', system, messages, tools })
      .withResponse()
    const sent = h.sim.requests.slice(before).find((r) => r.path.endsWith('/messages/count_tokens'))
    expect(sent?.model).toBe('sim-claude')
    // The simulator's own rule: ceil(characters / 4) of system, message texts and tool JSON.
    const text = [
      system,
      'What is the capital of France, and why is it famous?',
      'Paris; for art, food and the Eiffel Tower.',
      'And the weather there today?',
      JSON.stringify(tools),
    ].join('\n')
    expect(data.input_tokens).toBe(Math.ceil(text.length / 4))
    expect(response.headers.get('x-loopgate-token-count')).toBe('upstream')
  })

  it('estimates with gpt-tokenizer for an OpenAI-protocol target', async () => {
    const before = h.sim.requests.length
    const { data, response } = await anthropic.messages
      .countTokens({ model: 'claude-via-openai', system, messages, tools })
      .withResponse()
    expect(h.sim.requests.length).toBe(before) // nothing sent upstream
    expect(response.headers.get('x-loopgate-token-count')).toBe('estimated')
    const plain = countTokens(
      [
        system,
        ...messages.map((m) => (typeof m.content === 'string' ? m.content : 'And the weather there today?')),
        JSON.stringify(tools),
      ].join('\n'),
    )
    expect(data.input_tokens).toBeGreaterThanOrEqual(plain)
    expect(data.input_tokens).toBeLessThanOrEqual(plain + 40) // chat framing: a few tokens per message
    // Tools count.
    const without = await anthropic.messages.countTokens({ model: 'claude-via-openai', system, messages })
    expect(without.input_tokens).toBeLessThan(data.input_tokens)
  })

  it('authenticates with x-api-key or bearer and answers in Anthropic shapes', async () => {
    const viaBearer = await fetch(`${h.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'claude-via-openai', messages }),
    })
    expect(viaBearer.status).toBe(200)
    const bad = new Anthropic({ baseURL: h.url, apiKey: 'wrong-key-123456', maxRetries: 0 })
    await expect(bad.messages.countTokens({ model: 'claude', messages })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    )
    const unknown = await anthropic.messages.countTokens({ model: 'nope', messages }).catch((e) => e)
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError)
    expect(unknown.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
  })

  it('refuses hostile input with 400', async () => {
    const deep = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`
    const body = `{"model":"claude-via-openai","messages":[{"role":"user","content":${deep}}]}`
    const res = await fetch(`${h.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body,
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error')
    await expect(anthropic.messages.countTokens({ model: 'claude', messages: [] })).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    )
    const longSession = await anthropic.messages
      .countTokens({ model: 'claude', messages }, { headers: { 'x-loopgate-session-id': 's'.repeat(5000) } })
      .catch((e) => e)
    expect(longSession).toBeInstanceOf(Anthropic.BadRequestError)
  })
})

describe('count_tokens and the limits', () => {
  it('counts against rpm (429 past it), spends no budget', async () => {
    const limited = new Anthropic({ baseURL: h.url, apiKey: LIMITED_KEY, maxRetries: 0 })
    for (let i = 0; i < 2; i++)
      expect(
        (await limited.messages.countTokens({ model: 'claude-via-openai', messages })).input_tokens,
      ).toBeGreaterThan(0)
    const third = await limited.messages.countTokens({ model: 'claude-via-openai', messages }).catch((e) => e)
    expect(third).toBeInstanceOf(Anthropic.RateLimitError)
    expect(third.headers.get('x-loopgate-limit')).toBe('rpm')
    const spend = await fetch(`${h.url}/admin/tenants/gamma/spend`, { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(((await spend.json()) as { today: string }).today).toMatch(/^0(\.0+)?$/)
  })
})

describe('translated Anthropic stream (OpenAI target)', () => {
  it('message_start carries the estimated input token count', async () => {
    const stream = anthropic.messages.stream({ model: 'claude-via-openai', max_tokens: 100, system, messages })
    let startInput = -1
    stream.on('streamEvent', (e) => {
      if (e.type === 'message_start') startInput = e.message.usage.input_tokens
    })
    const final = await stream.finalMessage()
    expect(startInput).toBeGreaterThan(0)
    const counted = await anthropic.messages.countTokens({ model: 'claude-via-openai', system, messages })
    expect(startInput).toBe(counted.input_tokens)
    expect(final.usage.output_tokens).toBe(16) // the provider's final usage is kept
  })

  it('a large request is not tokenized on the stream path: message_start says ceil(bytes / 4)', async () => {
    const big = 'lorem ipsum dolor sit amet '.repeat(12_000) // ~324 KB, over the 256 KiB bound
    const stream = anthropic.messages.stream({
      model: 'claude-via-openai',
      max_tokens: 20,
      messages: [{ role: 'user', content: big }],
    })
    let startInput = -1
    stream.on('streamEvent', (e) => {
      if (e.type === 'message_start') startInput = e.message.usage.input_tokens
    })
    await stream.finalMessage()
    const bytes = big.length + 200 // the JSON around it: model, max_tokens, role, stream
    expect(startInput).toBeGreaterThanOrEqual(Math.ceil(big.length / 4))
    expect(startInput).toBeLessThanOrEqual(Math.ceil(bytes / 4))
  })
})
