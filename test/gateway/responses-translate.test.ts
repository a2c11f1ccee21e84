import { describe, expect, it } from 'vitest'
import { gatewayConfigSchema } from '../../gateway/config.ts'
import { ResponseStore } from '../../gateway/responses/store.ts'
import { resolveInput } from '../../gateway/responses/input.ts'
import { sseFrame, SseParser } from '../../gateway/sse.ts'
import { toChatRequest } from '../../gateway/translate/responses-request.ts'
import { fromChatCompletion } from '../../gateway/translate/responses-response.ts'
import { streamRelay } from '../../gateway/translate/index.ts'

type Ev = { type: string; sequence_number: number; [k: string]: unknown }
const parse = (text: string): Ev[] => new SseParser().push(Buffer.from(text)).map((f) => JSON.parse(f.data) as Ev)
const chunk = (delta: unknown, finish: string | null = null) =>
  sseFrame({ id: 'c1', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })
const request = { model: 'route', input: 'x', tools: [{ type: 'function', name: 'f' }] }

describe('Responses → chat request', () => {
  it('merges assistant text and its calls into one message, results into tool messages, developer into system', () => {
    const chat = toChatRequest({
      model: 'r',
      instructions: 'Be brief.',
      max_output_tokens: 50,
      temperature: 0.2,
      reasoning: { effort: 'low' },
      store: false,
      metadata: { a: 'b' },
      input: [
        { role: 'developer', content: 'Use metric units.' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Weather?' },
            { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call', call_id: 'call_2', name: 'f', arguments: '{"a":2}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'one' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'two' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
      ],
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
    })
    expect(chat).toEqual({
      model: 'r',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Use metric units.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather?' },
            { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
            { id: 'call_2', type: 'function', function: { name: 'f', arguments: '{"a":2}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'one' },
        { role: 'tool', tool_call_id: 'call_2', content: 'two' },
      ],
      max_tokens: 50,
      temperature: 0.2,
      reasoning_effort: 'low',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
    })
  })

  it('a call made after a result is a new assistant turn', () => {
    const chat = toChatRequest({
      model: 'r',
      input: [
        { role: 'user', content: 'Plan a trip.' },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'one' },
        { type: 'function_call', call_id: 'call_2', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_2', output: 'two' },
      ],
    })
    expect(
      (chat.messages as { role: string; tool_calls?: { id: string }[] }[]).map(
        (m) => `${m.role}${m.tool_calls ? `:${m.tool_calls.map((t) => t.id).join(',')}` : ''}`,
      ),
    ).toEqual(['user', 'assistant:call_1', 'tool', 'assistant:call_2', 'tool'])
  })

  it('a whole completion with text and a call becomes a message item and a function_call item', () => {
    const r = fromChatCompletion(
      {
        model: 'm',
        created: 7,
        choices: [
          {
            finish_reason: 'tool_calls',
            message: { content: 'Checking.', tool_calls: [{ id: 'call_1', function: { name: 'f', arguments: '{}' } }] },
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } },
      },
      request,
    )
    expect(r).toMatchObject({
      object: 'response',
      status: 'completed',
      created_at: 7,
      model: 'm',
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
        },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' },
      ],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 3, total_tokens: 13 },
      tools: request.tools,
    })
  })
})

describe('chat stream → Responses events', () => {
  it('text, then two calls: each item added, streamed and done in turn, output indexes in order, usage at the end', () => {
    const relay = streamRelay(
      'responses',
      'openai',
      { clientWantsUsage: false, capture: true },
      { body: request, bytes: 10 },
    )
    let out = ''
    out += relay.frame(parse(chunk({ role: 'assistant', content: '' }))[0] as never)
    for (const c of [
      chunk({ content: 'Let me ' }),
      chunk({ content: 'check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '{"a"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'f', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      sseFrame({ id: 'c1', model: 'm', choices: [], usage: { prompt_tokens: 9, completion_tokens: 5 } }),
      'data: [DONE]\n\n',
    ])
      for (const f of new SseParser().push(Buffer.from(c))) out += relay.frame(f)
    out += relay.finish()
    const evs = parse(out)
    expect(evs.map((e) => `${e.type}${e.output_index === undefined ? '' : `@${String(e.output_index)}`}`)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added@0',
      'response.content_part.added@0',
      'response.output_text.delta@0',
      'response.output_text.delta@0',
      'response.output_text.done@0',
      'response.content_part.done@0',
      'response.output_item.done@0',
      'response.output_item.added@1',
      'response.function_call_arguments.delta@1',
      'response.function_call_arguments.delta@1',
      'response.function_call_arguments.done@1',
      'response.output_item.done@1',
      'response.output_item.added@2',
      'response.function_call_arguments.delta@2',
      'response.function_call_arguments.done@2',
      'response.output_item.done@2',
      'response.completed',
    ])
    expect(evs.map((e) => e.sequence_number)).toEqual(evs.map((_, i) => i))
    const done = evs[evs.length - 1]!.response as { output: unknown[]; usage: unknown }
    expect(done.output).toMatchObject([
      { type: 'message', content: [{ text: 'Let me check.' }] },
      { type: 'function_call', call_id: 'call_a', arguments: '{"a":1}' },
      { type: 'function_call', call_id: 'call_b', arguments: '{}' },
    ])
    expect(done.usage).toMatchObject({ input_tokens: 9, output_tokens: 5, total_tokens: 14 })
    expect(relay.facts.usage).toMatchObject({ input: 9, output: 5 })
    expect(relay.facts.toolCalls.map((t) => t.arguments)).toEqual(['{"a":1}', '{}'])
  })

  it('an Anthropic error event mid-stream becomes response.failed (through the chat translation)', () => {
    const relay = streamRelay(
      'responses',
      'anthropic',
      { clientWantsUsage: false, capture: false },
      { body: request, bytes: 10 },
    )
    const upstream = [
      sseFrame(
        {
          type: 'message_start',
          message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 5, output_tokens: 1 } },
        },
        'message_start',
      ),
      sseFrame(
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        'content_block_start',
      ),
      sseFrame(
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
        'content_block_delta',
      ),
      sseFrame({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error'),
    ].join('')
    let out = ''
    for (const f of new SseParser().push(Buffer.from(upstream))) out += relay.frame(f)
    out += relay.finish()
    const evs = parse(out)
    expect(evs.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.failed',
    ])
    expect(evs[5]!.response).toMatchObject({ status: 'failed', error: { code: 'server_error', message: 'Overloaded' } })
    expect(relay.facts.usage.input).toBe(5)
    expect(relay.finalResponse?.()).toBeUndefined()
  })
})

describe('stored responses', () => {
  const stored = (id: string, text: string, previous?: string) => ({
    response: {
      id,
      status: 'completed',
      output: [{ id: `msg_${id}`, type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }],
    },
    input: [{ type: 'message', role: 'user', content: `asked ${id}` }],
    previous,
  })

  it('chains previous_response_id oldest first; another tenant sees nothing', () => {
    const store = new ResponseStore(60_000, 1 << 20)
    store.put('acme', stored('r1', 'one'))
    store.put('acme', stored('r2', 'two', 'r1'))
    const r = resolveInput(store, 'acme', { model: 'm', input: 'three', previous_response_id: 'r2' })
    expect(
      (r.body.input as { content: unknown }[]).map((i) => (typeof i.content === 'string' ? i.content : 'reply')),
    ).toEqual(['asked r1', 'reply', 'asked r2', 'reply', 'three'])
    expect(r.own).toEqual([{ type: 'message', role: 'user', content: 'three' }])
    expect(() => resolveInput(store, 'beta', { model: 'm', input: 'x', previous_response_id: 'r2' })).toThrow(
      /not known to this gateway/,
    )
    expect(store.item('acme', 'msg_r1')).toMatchObject({ type: 'message' })
    expect(store.item('beta', 'msg_r1')).toBeUndefined()
  })

  it('forgets after the TTL, and the oldest first past the byte bound', () => {
    let now = 0
    const store = new ResponseStore(1_000, 1 << 20, () => now)
    store.put('acme', stored('r1', 'one'))
    now = 999
    expect(store.get('acme', 'r1')).toBeDefined()
    now = 1_000
    expect(store.get('acme', 'r1')).toBeUndefined()
    expect(store.item('acme', 'msg_r1')).toBeUndefined()

    const one = JSON.stringify(stored('rA', 'x').response).length + JSON.stringify(stored('rA', 'x').input).length
    const small = new ResponseStore(60_000, one * 2 + 1)
    for (const id of ['rA', 'rB', 'rC']) small.put('acme', stored(id, 'x'))
    expect(['rA', 'rB', 'rC'].map((id) => small.get('acme', id) !== undefined)).toEqual([false, true, true])
    expect(small.usedBytes).toBeLessThanOrEqual(one * 2 + 1)
  })

  it('a chain with an expired link answers 400 naming the missing response', () => {
    const store = new ResponseStore(60_000, 1 << 20)
    store.put('acme', stored('r2', 'two', 'r1'))
    expect(() => resolveInput(store, 'acme', { model: 'm', input: 'x', previous_response_id: 'r2' })).toThrow(
      /response "r2" continues response "r1"/,
    )
  })
})

describe('configuration', () => {
  it('responses: true is for OpenAI-protocol providers only, and named in the error', () => {
    const bad = gatewayConfigSchema.safeParse({
      providers: { a: { protocol: 'anthropic', baseUrl: 'https://api.anthropic.com', responses: true } },
    })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['providers', 'a', 'responses'],
      message: expect.stringMatching(/OpenAI-protocol providers only/),
    })
    const ok = gatewayConfigSchema.parse({
      providers: { o: { protocol: 'openai', baseUrl: 'https://api.openai.com/v1', responses: true } },
    })
    expect(ok.providers.o!.responses).toBe(true)
    expect(ok.responses).toEqual({ storeTtlSeconds: 3600, storeMaxBytes: 64 * 1024 * 1024 })
  })
})
