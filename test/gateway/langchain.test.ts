import { ChatAnthropic } from '@langchain/anthropic'
import { AIMessageChunk, HumanMessage, ToolMessage, type AIMessage } from '@langchain/core/messages'
import { tool } from '@langchain/core/tools'
import { ChatOpenAI } from '@langchain/openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { eventually, KEY, startHarness, type Harness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness() // its routes: chat (an OpenAI-protocol target), claude (an Anthropic one)
})
afterAll(() => h.close())

const getWeather = tool(async ({ city }) => `sunny in ${city}`, {
  name: 'get_weather',
  description: 'Weather for a city',
  schema: z.object({ city: z.string() }),
})

/** The gateway's request span of the one call made after `before` spans (it ends once the response has). */
async function requestSpan(before: number) {
  const find = async () => (await h.spans()).slice(before).find((s) => s.attributes['loopgate.span'] === 'request')
  await eventually(async () => (await find()) !== undefined)
  return (await find())!
}

/** LangChain's two chat models, each pointed at the gateway with a virtual key, on either kind of target. */
const models = {
  ChatOpenAI: (model: string, apiKey = KEY) =>
    new ChatOpenAI({ model, apiKey, maxRetries: 0, configuration: { baseURL: `${h.url}/v1` } }),
  'ChatOpenAI (Responses API)': (model: string, apiKey = KEY) =>
    new ChatOpenAI({
      model,
      apiKey,
      maxRetries: 0,
      useResponsesApi: true,
      configuration: { baseURL: `${h.url}/v1` },
    }),
  ChatAnthropic: (model: string, apiKey = KEY) =>
    new ChatAnthropic({ model, apiKey, maxRetries: 0, maxTokens: 100, clientOptions: { baseURL: h.url } }),
}

describe('LangChain chat models through the gateway', () => {
  for (const [kind, make] of Object.entries(models))
    for (const route of ['chat', 'claude']) {
      it(`${kind} invoke on ${route}: text, token usage, the gateway's request span`, async () => {
        const before = (await h.spans()).length
        const reply = await make(route).invoke([new HumanMessage('Say hello')])
        expect(reply.text).toMatch(/\w+/)
        expect(reply.usage_metadata?.output_tokens).toBe(16)
        expect(reply.usage_metadata?.input_tokens).toBeGreaterThan(0)
        expect((await requestSpan(before)).attributes).toMatchObject({
          'loopgate.route': route,
          'gen_ai.usage.output_tokens': 16,
        })
      })

      it(`${kind} stream on ${route}: every token, usage on the last chunk`, async () => {
        const before = (await h.spans()).length
        let full: AIMessageChunk | undefined
        let chunks = 0
        for await (const chunk of await make(route).stream('Count')) {
          chunks++
          full = full ? full.concat(chunk) : chunk
        }
        expect(chunks).toBeGreaterThan(5)
        expect(full!.text.trim().split(/\s+/)).toHaveLength(16)
        // ChatAnthropic adds message_start's placeholder output count (1 from Anthropic's API and
        // our simulator of it, 0 from the gateway's translation) to the final one; what is billed is 16.
        expect(full!.usage_metadata?.output_tokens).toBe(kind === 'ChatAnthropic' && route === 'claude' ? 17 : 16)
        expect((await requestSpan(before)).attributes['gen_ai.usage.output_tokens']).toBe(16)
      })

      it(`${kind} tool call round trip on ${route}`, async () => {
        const model = make(route).bindTools([getWeather])
        const question = new HumanMessage('Weather in Paris?')
        const call: AIMessage = await model.invoke([question])
        expect(call.tool_calls).toHaveLength(1)
        expect(call.tool_calls![0]).toMatchObject({ name: 'get_weather', args: { city: 'example' } })
        const result = await getWeather.invoke(call.tool_calls![0]!)
        expect(result).toBeInstanceOf(ToolMessage)
        const answer = await model.invoke([question, call, result])
        expect(answer.text).toMatch(/\w+/)
        expect(answer.tool_calls ?? []).toHaveLength(0)
      })
    }

  it('a wrong key is a 401 the client reports, not a retry loop', async () => {
    for (const make of Object.values(models))
      await expect(make('chat', 'lg-not-a-key-000000000000').invoke('Hi')).rejects.toMatchObject({ status: 401 })
  })

  it('a route the key does not have is a 4xx naming it', async () => {
    await expect(models.ChatOpenAI('no-such-route').invoke('Hi')).rejects.toThrow(/no-such-route/)
  })
})
