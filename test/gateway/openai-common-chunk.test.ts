import { describe, expect, it } from 'vitest'
import { COMMON_CHUNK } from '../../gateway/providers/openai/chunk-shape.ts'
import { OpenAiPassthroughRelay, observeOpenAiChunk } from '../../gateway/providers/openai/stream.ts'
import { emptyFacts, type StreamRelay } from '../../gateway/providers/types.ts'
import type { SseFrame } from '../../gateway/sse.ts'

/** The relay as it was before the scanner: every chunk through JSON.parse. */
class ParsingRelay implements StreamRelay {
  readonly facts = emptyFacts()
  firstTokenAt: number | undefined
  constructor(
    private readonly clientWantsUsage: boolean,
    private readonly capture: boolean,
  ) {}
  frame(frame: SseFrame): string {
    if (frame.data === '[DONE]') return frame.raw
    let chunk: Parameters<typeof observeOpenAiChunk>[1]
    try {
      chunk = JSON.parse(frame.data)
    } catch {
      return frame.raw
    }
    observeOpenAiChunk(this, chunk, this.capture)
    if (chunk.usage && chunk.choices?.length === 0 && !this.clientWantsUsage) return ''
    return frame.raw
  }
  finish(): string {
    return ''
  }
}

const frameOf = (data: string): SseFrame => ({ event: undefined, data, raw: `data: ${data}\n\n` })

/** What a relay makes of a list of frames: its output, facts, and whether it saw a first token. */
function run(relay: StreamRelay, datas: string[]) {
  const out: string[] = []
  const errors: string[] = []
  for (const d of datas) {
    try {
      out.push(relay.frame(frameOf(d)))
    } catch (err) {
      errors.push((err as Error).constructor.name)
    }
  }
  return { out, errors, facts: relay.facts, firstToken: relay.firstTokenAt !== undefined }
}

const usage = '{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}}'
const chunk = (choices: string, extra = '') =>
  `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":${choices}${extra}}`
const common = (delta: string, finish = 'null', head = '', tail = ',"usage":null') =>
  `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1765000000,"model":"gpt-x",${head}"system_fingerprint":"fp_1","choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]${tail}}`
const CASES: string[] = [
  common('{"role":"assistant","content":""}'),
  common('{"role":"assistant","content":"","refusal":null}', 'null', '"service_tier":"default",', ''),
  common('{"content":"Hello"}', 'null', '', ',"obfuscation":"abc"'),
  common('{"content":"a \\"quoted\\" \\u00e9 \\n line"}'),
  common('{"content":"é ✓ 𝄞"}'),
  common('{}', '"stop"'),
  common('{}', '"length"', '', ''),
  common('{"role":"assistant"}'),
  common('{"role":"assistant",}'),
  common('{"role":"assistant""content":"x"}'),
  common('{"content":"bad \\x escape"}'),
  common('{"content":"tab\there"}'),
  common('{"content":null}'),
  common('{"content":"x"}', '"Stop"'),
  common('{"content":"x"}', '"stop"', '"model":"again",'),
  common('{"content":"x"}').replace('"created":1765000000', '"created":01'),
  common('{"content":"x"}').replace('"model":"gpt-x"', '"model":""'),
  common('{"content":"x"}').replace('"model":"gpt-x"', '"model":"g\\u0031"'),
  chunk(
    '[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]',
    ',"usage":null',
  ),
  chunk('[{"index":0,"delta":{"content":"Hello \\"world\\" \\u00e9\\n"},"finish_reason":null}]'),
  chunk(
    '[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\\"a\\":1}"}}]},"finish_reason":null}]',
  ),
  chunk('[{"index":0,"delta":{"tool_calls":[]},"finish_reason":null}]'),
  chunk('[{"index":0,"delta":{},"finish_reason":"stop"},{"index":1,"delta":{"content":"x"},"finish_reason":"length"}]'),
  chunk('[]', `,"usage":${usage}`),
  chunk('[{"index":0,"delta":{"content":"late"},"finish_reason":null}]', `,"usage":${usage}`),
  `{"model":"","choices":[],"usage":null}`,
  `{"model":"m\\u0031","choices":null}`,
  `{"mod\\u0065l":"escaped-key","choices":[{"delta":{"content":"y"},"finish_reason":"st\\u006fp"}]}`,
  `{"model":"a","model":"b","choices":[]}`,
  `{"choices":[{"delta":{"content":"a","content":""}}]}`,
  `{"choices":[{"delta":{"content":5}}]}`,
  `{"choices":[{"delta":"text"}]}`,
  `{"choices":[null]}`,
  `{"choices":{}}`,
  `{"choices":[],"usage":[]}`,
  `{"choices":[],"usage":1}`,
  `{"model":7,"choices":[]}`,
  `{"choices":[{"delta":{"tool_calls":"abc"}}]}`,
  `{"choices":[{"delta":{"content":false,"tool_calls":null},"finish_reason":false}]}`,
  ` { "model" : "spaced" , "choices" : [ { "delta" : { "content" : "z" } , "finish_reason" : "stop" } ] , "usage" : ${usage} } `,
  `{"error":{"message":"boom","type":"server_error"}}`,
  `{"x":[1,-2.5e+3,0.1,true,false,null,{"y":[]}],"choices":[]}`,
  '[1,2]',
  '"text"',
  '42',
  'not json',
  '{"choices":[]',
  '{"choices":[]}x',
  '{"choices":[],}',
  '{"a":01,"choices":[]}',
  '{"a":1.,"choices":[]}',
  '{"a":"\\x","choices":[]}',
  '{"a":"tab\there","choices":[]}',
  '{"a":tru,"choices":[]}',
  '{"a":"\\u12G4","choices":[]}',
  '{}',
]

/** Deterministic variations of the cases: each cut short and with one character changed. */
function variants(): string[] {
  const out: string[] = []
  let seed = 7
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff)
  const chars = ['"', '{', '}', '[', ']', ',', ':', '\\', ' ', '0', 'n', 'e', '-']
  for (const c of CASES) {
    for (let k = 0; k < 40; k++) {
      const i = next() % Math.max(1, c.length)
      out.push(c.slice(0, i) + chars[next() % chars.length] + c.slice(i + 1))
      out.push(c.slice(0, i))
    }
  }
  return out
}

describe('the OpenAI pass-through relay reads common chunks with one regular expression instead of JSON.parse', () => {
  for (const [wantsUsage, capture] of <[boolean, boolean][]>[
    [false, false],
    [true, false],
    [false, true],
  ]) {
    it(`answers exactly as JSON.parse would, one chunk at a time (client wants usage: ${wantsUsage}, capture: ${capture})`, () => {
      for (const data of [...CASES, ...variants()]) {
        const scanned = run(new OpenAiPassthroughRelay({ clientWantsUsage: wantsUsage, capture }), [data])
        const parsed = run(new ParsingRelay(wantsUsage, capture), [data])
        expect(scanned, data).toEqual(parsed)
      }
    })
  }

  it('reads the common text chunks from one match and parses the rest', () => {
    for (const data of CASES.slice(0, 8)) expect(COMMON_CHUNK.test(data), data).toBe(true)
    for (const data of [...CASES.slice(8, 16), CASES[17]!]) expect(COMMON_CHUNK.test(data), data).toBe(false)
    expect(COMMON_CHUNK.test(CASES[16]!)).toBe(true) // an empty model: valid, and not taken as the model
  })

  it('answers exactly as JSON.parse would over a whole stream (first model kept, usage chunk dropped)', () => {
    const scanned = run(new OpenAiPassthroughRelay({ clientWantsUsage: false, capture: true }), [...CASES, '[DONE]'])
    const parsed = run(new ParsingRelay(false, true), [...CASES, '[DONE]'])
    expect(scanned).toEqual(parsed)
    expect(scanned.facts.usage).toEqual({ input: 12, output: 3, cacheRead: 4, cacheWrite: 0 })
    expect(scanned.facts.model).toBe('gpt-x')
    expect(scanned.facts.outputText).toContain('a "quoted" é \n line')
    expect(scanned.out).toContain('')
  })
})
