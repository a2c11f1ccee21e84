import OpenAI from 'openai'
import { zodTextFormat } from 'openai/helpers/zod'
import { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, KEY, OTHER_KEY, startHarness, type Harness } from './harness.ts'
import { RESPONSES_ROUTES, responsesProviders } from './responses-targets.ts'

/** The same Responses API calls against a target that speaks it, a chat-completions one and an Anthropic one. */
let h: Harness
let openai: OpenAI
beforeAll(async () => {
  h = await startHarness({
    gateway: (sim) => ({
      providers: responsesProviders(sim),
      routes: RESPONSES_ROUTES,
    }),
  })
  openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY, maxRetries: 0 })
})
afterAll(() => h.close())

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather for a city',
  strict: true,
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
}

const TEXT_EVENTS = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  ...Array<string>(16).fill('response.output_text.delta'),
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.completed',
]

const cases = [
  { route: 'resp-pass', path: '/v1/responses', model: 'sim-resp' },
  { route: 'resp-chat', path: '/v1/chat/completions', model: 'sim-small' },
  { route: 'resp-claude', path: '/v1/messages', model: 'sim-claude' },
] as const

describe.each(cases)('openai responses API on route $route (upstream $path)', ({ route, path, model }) => {
  const upstream = () => h.sim.requests.filter((r) => r.model === model)

  it('responses.create with a string input', async () => {
    h.sim.reset()
    const r = await openai.responses.create({ model: route, input: 'Say hi', metadata: { team: 'search' } })
    expect(r.object).toBe('response')
    expect(r.id).toMatch(/^resp_/)
    expect(r.status).toBe('completed')
    expect(r.output_text.split(' ')).toHaveLength(16)
    expect(r.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' })
    expect(r.usage).toMatchObject({ output_tokens: 16, total_tokens: r.usage!.input_tokens + 16 })
    expect(r.usage!.input_tokens).toBeGreaterThan(0)
    expect(r.metadata).toEqual({ team: 'search' })
    expect(upstream().map((u) => u.path)).toEqual([path])
  })

  it('instructions and an item list reach the target', async () => {
    h.sim.reset()
    const r = await openai.responses.create({
      model: route,
      instructions: 'Answer tersely.',
      input: [
        { role: 'user', content: 'What is the capital of France?' },
        {
          type: 'message',
          id: 'msg_earlier',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Paris.', annotations: [] }],
        },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And of Italy?' }] },
      ],
      temperature: 0.5,
    })
    expect(r.status).toBe('completed')
    const sent = JSON.stringify(upstream()[0]!.body)
    for (const text of ['Answer tersely.', 'capital of France', 'Paris.', 'And of Italy?']) expect(sent).toContain(text)
    expect(upstream()[0]!.body.temperature).toBe(0.5)
  })

  it('responses.stream emits the documented event sequence and a final response with usage', async () => {
    const stream = openai.responses.stream({ model: route, input: 'Say hi' })
    const types: string[] = []
    let text = ''
    const seqs: number[] = []
    for await (const ev of stream) {
      types.push(ev.type)
      seqs.push(ev.sequence_number)
      if (ev.type === 'response.output_text.delta') text += ev.delta
    }
    const final = await stream.finalResponse()
    expect(types).toEqual(TEXT_EVENTS)
    expect(seqs).toEqual(seqs.map((_, i) => i))
    expect(final.output_text).toBe(text)
    expect(final.usage?.output_tokens).toBe(16)
    expect(final.status).toBe('completed')
  })

  it('a function tool round trip: function_call, then function_call_output answered in text', async () => {
    const first = await openai.responses.create({ model: route, input: 'Weather in Paris?', tools: [weather] })
    const call = first.output.find((i) => i.type === 'function_call')
    expect(call).toMatchObject({
      type: 'function_call',
      name: 'get_weather',
      arguments: '{"city":"example"}',
      status: 'completed',
    })
    if (call?.type !== 'function_call') throw new Error('no call')
    expect(call.call_id).toBeTruthy()
    const second = await openai.responses.create({
      model: route,
      tools: [weather],
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":21}' },
      ],
    })
    expect(second.output[0]?.type).toBe('message')
    expect(second.output_text.split(' ')).toHaveLength(16)
  })

  it('streams a function call as output_item.added, arguments deltas, arguments done, output_item.done', async () => {
    const stream = openai.responses.stream({ model: route, input: 'Weather in Paris?', tools: [weather] })
    const types: string[] = []
    let args = ''
    for await (const ev of stream) {
      types.push(ev.type)
      if (ev.type === 'response.function_call_arguments.delta') args += ev.delta
    }
    const deltas = types.filter((t) => t === 'response.function_call_arguments.delta').length
    expect(deltas).toBeGreaterThan(0)
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      ...Array<string>(deltas).fill('response.function_call_arguments.delta'),
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(args).toBe('{"city":"example"}')
    const final = await stream.finalResponse()
    expect(final.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: args })
  })

  it('previous_response_id continues a stored response (resolved by the gateway; the target never sees the id)', async () => {
    h.sim.reset()
    const first = await openai.responses.create({ model: route, input: 'Weather in Paris?', tools: [weather] })
    const call = first.output.find((i) => i.type === 'function_call')
    if (call?.type !== 'function_call') throw new Error('no call')
    const second = await openai.responses.create({
      model: route,
      tools: [weather],
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":21}' }],
    })
    expect(second.status).toBe('completed')
    expect(second.output[0]?.type).toBe('message')
    const sent = upstream()[1]!.body
    expect(sent.previous_response_id).toBeUndefined()
    expect(JSON.stringify(sent)).toContain('Weather in Paris?')
    expect(JSON.stringify(sent)).toContain('temp_c')
    // The stored response is the tenant's own: GET works for it, not for another tenant.
    expect((await openai.responses.retrieve(first.id)).id).toBe(first.id)
    const other = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: OTHER_KEY, maxRetries: 0 })
    expect(await other.responses.retrieve(first.id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError)
    expect(await other.responses.delete(first.id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError)
    const metrics = await (await fetch(`${h.url}/metrics`)).text()
    expect(Number(/^loopgate_gateway_responses_stored (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0)
    // Deleted, it is gone: retrieving or continuing it fails.
    await openai.responses.delete(first.id)
    expect(await openai.responses.retrieve(first.id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError)
    expect(
      await openai.responses.create({ model: route, input: 'x', previous_response_id: first.id }).catch((e) => e),
    ).toBeInstanceOf(OpenAI.BadRequestError)
  })

  it('store: false keeps nothing: continuing it answers 400 saying why', async () => {
    const first = await openai.responses.create({ model: route, input: 'Say hi', store: false })
    const err = await openai.responses
      .create({ model: route, input: 'More', previous_response_id: first.id })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.param).toBe('previous_response_id')
    expect(err.message).toMatch(/not known to this gateway.*store: false/)
  })

  it('max_output_tokens caps the answer: status incomplete, reason max_output_tokens', async () => {
    const r = await openai.responses.create({ model: route, input: 'Say hi', max_output_tokens: 4 })
    expect(r.status).toBe('incomplete')
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' })
    expect(r.usage?.output_tokens).toBe(4)
  })

  it('text.format json_schema reaches the target', async () => {
    h.sim.reset()
    const schema = {
      type: 'object',
      properties: { answer: { type: 'string' } },
      required: ['answer'],
      additionalProperties: false,
    }
    const r = await openai.responses.create({
      model: route,
      input: 'Say hi',
      text: { format: { type: 'json_schema', name: 'reply', schema, strict: true } },
    })
    expect(r.text?.format).toMatchObject({ type: 'json_schema', name: 'reply' })
    const sent = JSON.stringify(upstream()[0]!.body)
    expect(sent).toContain('answer')
    // The Anthropic protocol has no structured output: the schema travels as an instruction.
    if (path !== '/v1/messages') expect(JSON.parse(r.output_text)).toHaveProperty('answer')
  })
})

describe('responses.parse with a zod text format', () => {
  it.each(['resp-pass', 'resp-chat'])('%s: output_parsed follows the schema', async (route) => {
    const r = await openai.responses.parse({
      model: route,
      input: 'Say hi',
      text: { format: zodTextFormat(z.object({ answer: z.string() }), 'reply') },
    })
    expect(typeof r.output_parsed?.answer).toBe('string')
    expect(r.output_parsed!.answer.split(' ')).toHaveLength(16)
  })
})

describe('usage and cost on the gateway span', () => {
  it.each(cases)('$route: the request span carries tokens and cost like a chat request', async ({ route }) => {
    // A session id of its own tells this request's span from earlier ones still ending.
    const session = `span-test-${route}`
    const stream = openai.responses.stream(
      { model: route, input: 'Say hi' },
      { headers: { 'x-loopgate-session-id': session } },
    )
    const final = await stream.finalResponse()
    let request: Awaited<ReturnType<typeof h.spans>>[number] | undefined
    await eventually(async () => {
      request = (await h.spans()).find(
        (s) => s.attributes['loopgate.span'] === 'request' && s.attributes['session.id'] === session,
      )
      return request !== undefined
    })
    if (!request) throw new Error('no request span')
    const input = final.usage!.input_tokens
    expect(request.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': route,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': 16,
      'loopgate.route': route,
      'loopgate.tenant.id': 'acme',
    })
    // $1 per million input tokens, $2 per million output tokens.
    expect(Number(request.attributes['loopgate.cost_usd'])).toBeCloseTo((input * 1 + 16 * 2) / 1e6, 12)
    expect(request.attributes['loopgate.ttft_ms']).toBeGreaterThanOrEqual(0)
  })
})
