import { describe, expect, it } from 'vitest'
import { adapters } from '../../gateway/providers/index.ts'
import type { Target } from '../../gateway/routing/table.ts'
import { upstreamText } from '../../gateway/translate/index.ts'
import { withModel } from '../../gateway/translate/replace-model.ts'

describe('forwarding the client JSON with only the model replaced', () => {
  it('replaces the top-level model, whatever the spacing, nesting or escapes around it', () => {
    const cases: [string, string][] = [
      [
        '{"model":"a","messages":[{"role":"user","content":"x \\"model\\": \\"y\\""}]}',
        '{"model":"B","messages":[{"role":"user","content":"x \\"model\\": \\"y\\""}]}',
      ],
      [
        ' { "messages" : [ {"model":"q"} ] , "model" : "a" , "n": 1 } ',
        ' { "messages" : [ {"model":"q"} ] , "model" : "B" , "n": 1 } ',
      ],
      ['{"x":"\\\\","model":"a"}', '{"x":"\\\\","model":"B"}'],
      [
        '{"x":true,"y":null,"z":-1.5e3,"w":{"model":{"a":[1,"}"]}},"model":"a"}',
        '{"x":true,"y":null,"z":-1.5e3,"w":{"model":{"a":[1,"}"]}},"model":"B"}',
      ],
    ]
    for (const [input, want] of cases) {
      expect(withModel(input, 'B')).toBe(want)
      expect(JSON.parse(withModel(input, 'B')!)).toEqual({ ...JSON.parse(input), model: 'B' })
    }
  })

  it('leaves to the serializer what it cannot replace safely', () => {
    // JSON.parse keeps the last of duplicate keys; an escaped key can spell "model" too.
    for (const input of [
      '{"model":"a","model":"b"}',
      '{"model":"a","mod\\u0065l":"b"}',
      '{"messages":[]}',
      '{}',
      '[]',
    ]) {
      expect(withModel(input, 'B')).toBeUndefined()
    }
  })
})

describe('the upstream text of an OpenAI stream', () => {
  const target = { id: 'p/m', provider: { adapter: adapters.openai, settings: {} }, model: 'B' } as unknown as Target
  const send = (raw: string) => upstreamText('openai', 'chat', JSON.parse(raw), raw, target, true)

  it("is the client's text with the model replaced when the client already asks for usage", () => {
    const raw = '{ "model": "a", "stream": true, "stream_options": { "include_usage": true }, "messages": [] }'
    expect(send(raw)).toBe(
      '{ "model": "B", "stream": true, "stream_options": { "include_usage": true }, "messages": [] }',
    )
  })

  it("asks for usage on the client's behalf otherwise (serialized)", () => {
    for (const raw of [
      '{"model":"a","stream":true,"messages":[]}',
      '{"model":"a","stream":true,"stream_options":{"include_usage":false}}',
    ]) {
      expect(JSON.parse(send(raw))).toEqual({ ...JSON.parse(raw), model: 'B', stream_options: { include_usage: true } })
    }
  })
})
