import { describe, expect, it } from 'vitest'
import { withModel } from '../../gateway/translate/replace-model.ts'

describe('forwarding the client JSON with only the model replaced', () => {
  it('replaces the top-level model, whatever the spacing, nesting or escapes around it', () => {
    const cases: [string, string][] = [
      ['{"model":"a","messages":[{"role":"user","content":"x \\"model\\": \\"y\\""}]}', '{"model":"B","messages":[{"role":"user","content":"x \\"model\\": \\"y\\""}]}'],
      [' { "messages" : [ {"model":"q"} ] , "model" : "a" , "n": 1 } ', ' { "messages" : [ {"model":"q"} ] , "model" : "B" , "n": 1 } '],
      ['{"x":"\\\\","model":"a"}', '{"x":"\\\\","model":"B"}'],
      ['{"x":true,"y":null,"z":-1.5e3,"w":{"model":{"a":[1,"}"]}},"model":"a"}', '{"x":true,"y":null,"z":-1.5e3,"w":{"model":{"a":[1,"}"]}},"model":"B"}'],
    ]
    for (const [input, want] of cases) {
      expect(withModel(input, 'B')).toBe(want)
      expect(JSON.parse(withModel(input, 'B')!)).toEqual({ ...JSON.parse(input), model: 'B' })
    }
  })

  it('leaves to the serializer what it cannot replace safely', () => {
    // JSON.parse keeps the last of duplicate keys; an escaped key can spell "model" too.
    for (const input of ['{"model":"a","model":"b"}', '{"model":"a","mod\\u0065l":"b"}', '{"messages":[]}', '{}', '[]']) {
      expect(withModel(input, 'B')).toBeUndefined()
    }
  })
})
