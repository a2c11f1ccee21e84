import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KEY, startHarness, type Harness } from './harness.ts'

let h: Harness
let openai: OpenAI
let anthropic: Anthropic
beforeAll(async () => {
  h = await startHarness({
    gateway: () => ({
      routes: [
        { name: 'chat', targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }] },
        { name: 'claude', targets: [{ provider: 'simant', model: 'sim-claude', price: { input: '3', output: '15' } }] },
        { name: 'embed', targets: [{ provider: 'sim', model: 'sim-embed', price: { input: '0.02', output: '0' } }] },
        // Cross-protocol routes: OpenAI clients on an Anthropic target and the reverse.
        {
          name: 'chat-via-claude',
          targets: [{ provider: 'simant', model: 'sim-claude', price: { input: '3', output: '15' } }],
        },
        {
          name: 'claude-via-openai',
          targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }],
        },
      ],
    }),
  })
  openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY, maxRetries: 0 })
  anthropic = new Anthropic({ baseURL: h.url, apiKey: KEY, maxRetries: 0 })
})
afterAll(() => h.close())

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}

describe('official clients through the gateway', () => {
  for (const model of ['chat', 'chat-via-claude']) {
    it(`openai chat (${model})`, async () => {
      const { data, response } = await openai.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'Say hello' }] })
        .withResponse()
      expect(data.choices[0]!.message.content).toMatch(/\w+/)
      expect(data.choices[0]!.finish_reason).toBe('stop')
      expect(data.usage!.prompt_tokens).toBeGreaterThan(0)
      expect(data.usage!.completion_tokens).toBe(16)
      expect(response.headers.get('x-loopgate-route')).toBe(model)
      expect(response.headers.get('x-loopgate-target')).toMatch(/sim/)
      expect(response.headers.get('x-loopgate-routing-version')).toBe('1')
      expect(Number(response.headers.get('x-loopgate-cost-usd'))).toBeGreaterThan(0)
    })

    it(`openai streaming with usage (${model})`, async () => {
      const stream = await openai.chat.completions.create({
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Count' }],
      })
      let text = ''
      let usage: OpenAI.CompletionUsage | undefined | null
      let chunks = 0
      for await (const chunk of stream) {
        chunks++
        text += chunk.choices[0]?.delta?.content ?? ''
        if (chunk.usage) usage = chunk.usage
      }
      expect(chunks).toBeGreaterThan(5)
      expect(text.split(' ').length).toBe(16)
      expect(usage?.completion_tokens).toBe(16)
    })

    it(`openai tools (${model})`, async () => {
      const r = await openai.chat.completions.create({
        model,
        tools: [weather],
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      })
      const call = r.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall
      expect(r.choices[0]!.finish_reason).toBe('tool_calls')
      expect(call.function.name).toBe('get_weather')
      expect(JSON.parse(call.function.arguments)).toEqual({ city: 'example' })
      const follow = await openai.chat.completions.create({
        model,
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          r.choices[0]!.message,
          { role: 'tool', tool_call_id: call.id, content: 'sunny' },
        ],
      })
      expect(follow.choices[0]!.message.content).toBeTruthy()
    })

    it(`openai streamed tool call (${model})`, async () => {
      const stream = openai.chat.completions.stream({
        model,
        tools: [weather],
        messages: [{ role: 'user', content: 'Weather?' }],
      })
      const final = await stream.finalChatCompletion()
      const call = final.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall
      expect(call.function.name).toBe('get_weather')
      expect(JSON.parse(call.function.arguments)).toEqual({ city: 'example' })
    })
  }

  it('openai embeddings (base64 default of the SDK)', async () => {
    const r = await openai.embeddings.create({ model: 'embed', input: ['a', 'b'] })
    expect(r.data).toHaveLength(2)
    expect(r.data[0]!.embedding).toHaveLength(8)
    expect(r.usage.prompt_tokens).toBe(2)
  })

  it('openai models lists the routes of the key', async () => {
    const ids = []
    for await (const m of openai.models.list()) ids.push(m.id)
    expect(ids.sort()).toEqual(['chat', 'chat-via-claude', 'claude', 'claude-via-openai', 'embed'])
  })

  for (const model of ['claude', 'claude-via-openai']) {
    it(`anthropic messages (${model})`, async () => {
      const m = await anthropic.messages.create({
        model,
        max_tokens: 100,
        system: 'Be brief',
        messages: [{ role: 'user', content: 'Hello' }],
      })
      expect(m.content[0]!.type).toBe('text')
      expect(m.stop_reason).toBe('end_turn')
      expect(m.usage.output_tokens).toBe(16)
    })

    it(`anthropic streaming (${model})`, async () => {
      const stream = anthropic.messages.stream({
        model,
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Hello' }],
      })
      const deltas: string[] = []
      stream.on('text', (t) => deltas.push(t))
      const final = await stream.finalMessage()
      expect(deltas.length).toBeGreaterThan(5)
      expect((final.content[0] as Anthropic.TextBlock).text).toBe(deltas.join(''))
      expect(final.usage.output_tokens).toBe(16)
    })

    it(`anthropic tools, streamed (${model})`, async () => {
      const stream = anthropic.messages.stream({
        model,
        max_tokens: 100,
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
        messages: [{ role: 'user', content: 'Weather?' }],
      })
      const final = await stream.finalMessage()
      const block = final.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock
      expect(block.name).toBe('get_weather')
      expect(block.input).toEqual({ city: 'example' })
      expect(final.stop_reason).toBe('tool_use')
    })
  }

  it('errors arrive in each protocol shape', async () => {
    const bad = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'wrong-key-123456', maxRetries: 0 })
    await expect(
      bad.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 401 })
    await expect(
      openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' })
    const err = await anthropic.messages
      .create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(Anthropic.NotFoundError)
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
  })
})
