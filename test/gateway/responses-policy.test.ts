import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, KEY, jsonHeaders, post, startHarness, type Harness } from './harness.ts'
import { RESPONSES_ROUTES, responsesProviders } from './responses-targets.ts'

/** /v1/responses under the same budgets, limits, retries, fallbacks and input checks as every other request. */
const TIGHT_KEY = 'lg-test-key-tight-0005'
const RPM_KEY = 'lg-test-key-rpm-00006'
let h: Harness
beforeAll(async () => {
  h = await startHarness({
    gateway: (sim) => ({
      maxBodyBytes: 64 * 1024,
      providers: responsesProviders(sim),
      routes: [
        ...RESPONSES_ROUTES,
        // First the chat-completions target; the Responses one (weight 0) only as the fallback.
        {
          name: 'fallback',
          policy: { retry: { maxRetries: 0 } },
          targets: [
            { provider: 'sim', model: 'fb-chat', weight: 1, price: { input: '1', output: '2' } },
            { provider: 'simresp', model: 'fb-resp', weight: 0, price: { input: '1', output: '2' } },
          ],
        },
      ],
      tenants: [
        { id: 'acme', keys: [{ key: KEY }] },
        { id: 'tight', budgets: { usdPerDay: '0.01' }, keys: [{ key: TIGHT_KEY }] },
        { id: 'rpm', rateLimits: { rpm: 2 }, keys: [{ key: RPM_KEY }] },
      ],
    }),
  })
})
afterAll(() => h.close())

const responses = (body: unknown, key = KEY, session?: string) =>
  post(`${h.url}/v1/responses`, body, { ...jsonHeaders(key), ...(session ? { 'x-loopgate-session-id': session } : {}) })

/** The spans of one session (a session id per test tells its spans from earlier ones still ending). */
async function sessionSpans(session: string, kind: 'request' | 'attempt', count: number) {
  let found: Awaited<ReturnType<typeof h.spans>> = []
  await eventually(async () => {
    found = (await h.spans()).filter(
      (s) => s.attributes['loopgate.span'] === kind && s.attributes['session.id'] === session,
    )
    return found.length >= count
  })
  return found
}

/** The events of a Responses SSE body, in order. */
function events(text: string): { type: string; [k: string]: unknown }[] {
  return text
    .split('\n\n')
    .filter((f) => f.includes('data: '))
    .map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)))
}

describe('budgets and rate limits', () => {
  it('reserves max_output_tokens at the target price before the call: 402 when it cannot fit, then settles what was used', async () => {
    // 100k output tokens at $2/M = $0.20 > the $0.01 budget.
    const refused = await responses({ model: 'resp-chat', input: 'Say hi', max_output_tokens: 100_000 }, TIGHT_KEY)
    expect(refused.status).toBe(402)
    expect(refused.json.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' })
    expect(refused.json.error.message).toMatch(/this request may cost up to \$0\.2/)
    const ok = await responses({ model: 'resp-chat', input: 'Say hi', max_output_tokens: 100 }, TIGHT_KEY)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-loopgate-reserved-usd')).toBeTruthy()
    const cost = Number(ok.headers.get('x-loopgate-cost-usd'))
    expect(cost).toBeCloseTo((ok.json.usage.input_tokens * 1 + ok.json.usage.output_tokens * 2) / 1e6, 12)
  })

  it("counts Responses requests against the key's rpm", async () => {
    expect((await responses({ model: 'resp-pass', input: 'a' }, RPM_KEY)).status).toBe(200)
    expect((await responses({ model: 'resp-pass', input: 'b', stream: true }, RPM_KEY)).status).toBe(200)
    const third = await responses({ model: 'resp-pass', input: 'c' }, RPM_KEY)
    expect(third.status).toBe(429)
    expect(third.json.error.code).toBe('rate_limit_exceeded')
    expect(third.headers.get('x-loopgate-limit')).toBe('rpm')
  })
})

describe('retries and fallbacks', () => {
  it.each([
    { outcome: { kind: 'error', status: 503 } as const, label: '5xx' },
    { outcome: { kind: 'rate_limit', retryAfterSeconds: 30 } as const, label: '429' },
  ])('a $label from the chat-completions target falls back to the Responses target', async ({ outcome, label }) => {
    h.sim.reset()
    h.sim.script('fb-chat', outcome)
    const r = await responses({ model: 'fallback', input: 'Say hi' }, KEY, `fallback-${label}`)
    expect(r.status).toBe(200)
    expect(r.headers.get('x-loopgate-target')).toBe('simresp/fb-resp')
    expect(h.sim.requests.map((q) => q.path)).toEqual(['/v1/chat/completions', '/v1/responses'])
    expect(r.json.output[0].content[0].text.split(' ')).toHaveLength(16)
    const attempts = await sessionSpans(`fallback-${label}`, 'attempt', 2)
    expect(attempts.map((a) => a.attributes['loopgate.target']).sort()).toEqual(['sim/fb-chat', 'simresp/fb-resp'])
  })

  it.each(['resp-pass', 'resp-chat', 'resp-claude'])(
    '%s: a stream cut mid-way ends with response.failed, masked and billed on an estimate',
    async (route) => {
      const model = { 'resp-pass': 'sim-resp', 'resp-chat': 'sim-small', 'resp-claude': 'sim-claude' }[route]!
      h.sim.script(model, { kind: 'cut' })
      const r = await responses({ model: route, input: 'Say hi', stream: true }, KEY, `cut-${route}`)
      expect(r.status).toBe(200)
      const evs = events(r.text)
      expect(evs[0]!.type).toBe('response.created')
      const last = evs[evs.length - 1]!
      expect(last.type).toBe('response.failed')
      expect(last.response).toMatchObject({ status: 'failed', error: { code: 'server_error' } })
      expect(String((last.response as { error: { message: string } }).error.message)).toMatch(/upstream stream failed/)
      expect(evs.map((e) => e.type)).not.toContain('response.completed')
      const seqs = evs.map((e) => e.sequence_number)
      expect(seqs).toEqual(seqs.map((_, i) => i))
      // Billed like any cut stream: the tokens seen so far (or the estimate), marked as cut.
      const [request] = await sessionSpans(`cut-${route}`, 'request', 1)
      if (!request) throw new Error('no request span')
      expect(request.attributes).toMatchObject({ 'error.type': 'upstream_stream_failed' })
      expect(request.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0)
      expect(Number(request.attributes['loopgate.cost_usd'])).toBeGreaterThan(0)
    },
  )
})

describe("bad input answers 400 in OpenAI's error shape, before any upstream call", () => {
  const cases: { name: string; body: unknown; param?: string; message: RegExp; status?: number }[] = [
    { name: 'malformed JSON', body: '{"model": "resp-chat", "input": ', message: /not valid JSON/ },
    { name: 'no input', body: { model: 'resp-chat' }, param: 'input', message: /'input' is required/ },
    {
      name: 'input of the wrong type',
      body: { model: 'resp-chat', input: 42 },
      param: 'input',
      message: /'input' is required: a string or an array/,
    },
    {
      name: 'an unknown item type',
      body: { model: 'resp-chat', input: [{ type: 'banana' }] },
      param: 'input[0].type',
      message: /"banana" is not a known input item type/,
    },
    {
      name: 'a message with a bad role',
      body: { model: 'resp-chat', input: [{ role: 'robot', content: 'x' }] },
      param: 'input[0].role',
      message: /must be user, assistant, system or developer/,
    },
    {
      name: 'a function_call_output without call_id',
      body: { model: 'resp-chat', input: [{ type: 'function_call_output', output: 'x' }] },
      param: 'input[0].call_id',
      message: /call_id/,
    },
    {
      name: 'a hosted-tool item on a translated target',
      body: { model: 'resp-chat', input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] },
      param: 'input[0]',
      message: /"web_search_call" is not supported when this route's target is translated/,
    },
    {
      name: 'a built-in tool on a translated target',
      body: { model: 'resp-claude', input: 'x', tools: [{ type: 'web_search' }] },
      param: 'tools[0].type',
      message: /built-in tool "web_search" is not supported/,
    },
    {
      name: 'an unknown content part',
      body: { model: 'resp-chat', input: [{ role: 'user', content: [{ type: 'input_audio' }] }] },
      param: 'input[0].content',
      message: /content part type "input_audio" is not supported/,
    },
    {
      name: 'oversized max_output_tokens',
      body: { model: 'resp-chat', input: 'x', max_output_tokens: 2_000_000 },
      param: 'max_output_tokens',
      message: /the limit is 1000000/,
    },
    {
      name: 'background mode',
      body: { model: 'resp-pass', input: 'x', background: true },
      param: 'background',
      message: /background responses are not supported/,
    },
    {
      name: 'a conversation',
      body: { model: 'resp-pass', input: 'x', conversation: 'conv_1' },
      param: 'conversation',
      message: /conversations are not supported/,
    },
    {
      name: 'an unknown previous_response_id',
      body: { model: 'resp-pass', input: 'x', previous_response_id: 'resp_nope' },
      param: 'previous_response_id',
      message: /"resp_nope" is not known to this gateway/,
    },
    {
      name: 'an unknown item_reference',
      body: { model: 'resp-pass', input: [{ type: 'item_reference', id: 'msg_nope' }] },
      param: 'input[0].id',
      message: /"msg_nope" is not known/,
    },
    {
      name: 'a bad text.format',
      body: { model: 'resp-chat', input: 'x', text: { format: { type: 'xml' } } },
      param: 'text.format',
      message: /text, json_object or json_schema/,
    },
    {
      name: 'too many metadata keys',
      body: {
        model: 'resp-chat',
        input: 'x',
        metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
      },
      param: 'metadata',
      message: /the limit is 16/,
    },
    {
      name: 'a body over maxBodyBytes',
      body: { model: 'resp-chat', input: 'x'.repeat(70_000) },
      message: /request body larger than 65536 bytes/,
      status: 413,
    },
  ]
  it.each(cases)('$name', async ({ body, param, message, status }) => {
    h.sim.reset()
    const r = await responses(body)
    expect(r.status).toBe(status ?? 400)
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error' })
    expect(r.json.error.message).toMatch(message)
    if (param) expect(r.json.error.param).toBe(param)
    expect(h.sim.requests).toHaveLength(0)
  })

  it('the openai SDK raises BadRequestError with the param', async () => {
    const openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY, maxRetries: 0 })
    const err = await openai.responses
      .create({ model: 'resp-claude', input: 'x', tools: [{ type: 'web_search' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.param).toBe('tools[0].type')
  })

  it('a built-in tool is passed through to a target that speaks the Responses API', async () => {
    h.sim.reset()
    const r = await responses({ model: 'resp-pass', input: 'x', tools: [{ type: 'web_search' }] })
    expect(r.status).toBe(200)
    expect(h.sim.requests[0]!.body.tools).toEqual([{ type: 'web_search' }])
  })

  it("a missing key answers 401 in OpenAI's shape", async () => {
    const r = await post(
      `${h.url}/v1/responses`,
      { model: 'resp-chat', input: 'x' },
      { 'content-type': 'application/json' },
    )
    expect(r.status).toBe(401)
    expect(r.json.error).toMatchObject({ type: 'authentication_error', code: 'missing_api_key' })
  })
})

describe('what the evaluator and capture see', () => {
  it('text.format becomes loopgate.response_format; instructions and input are captured', async () => {
    const cap = await startHarness({
      gateway: () => ({ routes: [{ name: 'cap', capture: 'on', targets: [{ provider: 'sim', model: 'sim-small' }] }] }),
    })
    try {
      const schema = { type: 'object', properties: { answer: { type: 'string' } } }
      const r = await post(`${cap.url}/v1/responses`, {
        model: 'cap',
        instructions: 'Reply in JSON.',
        input: 'Say hi',
        text: { format: { type: 'json_schema', name: 'a', schema } },
      })
      expect(r.status).toBe(200)
      let request: Awaited<ReturnType<typeof cap.spans>>[number] | undefined
      await eventually(
        async () =>
          (request = (await cap.spans()).find((s) => s.attributes['loopgate.span'] === 'request')) !== undefined,
      )
      if (!request) throw new Error('no request span')
      expect(JSON.parse(String(request.attributes['loopgate.response_format']))).toEqual({
        type: 'json_schema',
        name: 'a',
        schema,
      })
      const input = JSON.parse(String(request.attributes['gen_ai.input.messages']))
      expect(input[0]).toEqual({ role: 'system', parts: [{ type: 'text', content: 'Reply in JSON.' }] })
      expect(JSON.stringify(input)).toContain('Say hi')
      expect(String(request.attributes['gen_ai.output.messages'])).toContain(
        JSON.parse(r.json.output[0].content[0].text).answer,
      )
    } finally {
      await cap.close()
    }
  })
})
