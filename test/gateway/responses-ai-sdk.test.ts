import { createOpenAI } from '@ai-sdk/openai'
import { generateText, jsonSchema, stepCountIs, streamText, tool, type ModelMessage } from 'ai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KEY, startHarness, type Harness } from './harness.ts'
import { RESPONSES_ROUTES, responsesProviders } from './responses-targets.ts'

/** The AI SDK's default `openai(id)` speaks the Responses API: against each kind of target. */
let h: Harness
beforeAll(async () => {
  h = await startHarness({
    gateway: (sim) => ({
      providers: responsesProviders(sim),
      routes: RESPONSES_ROUTES,
    }),
  })
})
afterAll(() => h.close())

const weatherTool = tool({
  description: 'Weather for a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
  execute: async ({ city }) => ({ city, tempC: 21 }),
})

describe.each([
  { route: 'resp-pass', path: '/v1/responses' },
  { route: 'resp-chat', path: '/v1/chat/completions' },
  { route: 'resp-claude', path: '/v1/messages' },
])('AI SDK default openai(id) on route $route', ({ route, path }) => {
  /** What the SDK sent the gateway. */
  const sentBodies: string[] = []
  const recordingFetch: typeof fetch = async (url, init) => {
    if (typeof init?.body === 'string') sentBodies.push(init.body)
    return fetch(url, init)
  }
  const model = () => createOpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY, fetch: recordingFetch })(route)

  it('generateText goes through POST /v1/responses', async () => {
    h.sim.reset()
    const r = await generateText({ model: model(), prompt: 'Say hi', maxRetries: 0 })
    expect(r.text.split(' ')).toHaveLength(16)
    expect(r.usage.outputTokens).toBe(16)
    expect(r.finishReason).toBe('stop')
    expect(r.response.id).toMatch(/^resp_/)
    expect(h.sim.requests.map((q) => q.path)).toEqual([path])
  })

  it('streamText', async () => {
    const r = streamText({ model: model(), prompt: 'Say hi', maxRetries: 0 })
    const parts: string[] = []
    for await (const t of r.textStream) parts.push(t)
    expect(parts.length).toBe(16)
    expect((await r.usage).outputTokens).toBe(16)
    expect(await r.finishReason).toBe('stop')
  })

  it('a tool: call, execute, answer (two steps)', async () => {
    const r = await generateText({
      model: model(),
      prompt: 'Weather in Paris?',
      tools: { get_weather: weatherTool },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    })
    expect(r.steps).toHaveLength(2)
    expect(r.steps[0]!.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'example' } })
    expect(r.steps[0]!.toolResults[0]).toMatchObject({ output: { city: 'example', tempC: 21 } })
    expect(r.text.split(' ')).toHaveLength(16)
  })

  it('streamText with a tool', async () => {
    const r = streamText({
      model: model(),
      prompt: 'Weather in Paris?',
      tools: { get_weather: weatherTool },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    })
    let text = ''
    for await (const t of r.textStream) text += t
    const steps = await r.steps
    expect(steps[0]!.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'example' } })
    expect(text.split(' ')).toHaveLength(16)
  })

  it("a second turn with the first turn's messages (the SDK sends item_reference for stored items)", async () => {
    const first = await generateText({ model: model(), prompt: 'Say hi', maxRetries: 0 })
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Say hi' },
      ...first.response.messages,
      { role: 'user', content: 'Again' },
    ]
    h.sim.reset()
    sentBodies.length = 0
    const second = await generateText({ model: model(), messages, maxRetries: 0 })
    expect(second.text.split(' ')).toHaveLength(16)
    expect(sentBodies[0]).toContain('"type":"item_reference"')
    // The gateway replaced the reference by the stored assistant message: the target got its text.
    const sent = JSON.stringify(h.sim.requests[0]!.body)
    expect(sent).not.toContain('item_reference')
    expect(sent).toContain(first.text.trim())
  })
})
