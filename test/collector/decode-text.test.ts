// The receiver decodes protobuf with `scalarsAsText` (attribute scalars straight to their stored
// text). These tests hold it to the plain decode: the same text for every value, the same rows
// from the normalizer for every convention, the same refusals for hostile bodies.
import { describe, expect, it } from 'vitest'
import { Normalizer, type NormalizeContext } from '../../collector/normalize/index.ts'
import { anyValueToString } from '../../collector/normalize/any-value.ts'
import { OtlpDecodeError, decodeProtobuf, type ExportRequest } from '../../collector/otlp/decode.ts'
import { messageType } from '../../collector/otlp/schema.ts'
import { deeplyNestedBody, lenField, varintField } from './fixtures/protobuf-wire.ts'
import {
  emitProtobuf,
  gatewaySpans,
  langfuseSpans,
  oldGenAiSpans,
  openInferenceSpans,
  traceloopSpans,
  vercelSpans,
} from './fixtures/conventions.ts'

const requestType = messageType('ExportTraceServiceRequest')
const TEXT = { scalarsAsText: true }
const contexts: NormalizeContext[] = [
  { tenantId: 'acme', trustTenantAttribute: false },
  { tenantId: 'default', trustTenantAttribute: true },
]

/** Every attribute list of a request, top level only (resource, scope, span, event, link). */
function attributeLists<KV>(req: ExportRequest<KV>): KV[][] {
  return req.resourceSpans.flatMap((rs) => [
    rs.resource.attributes,
    ...rs.scopeSpans.flatMap((ss) => [
      ss.scope.attributes,
      ...ss.spans.flatMap((s) => [
        s.attributes,
        ...s.events.map((e) => e.attributes),
        ...s.links.map((l) => l.attributes),
      ]),
    ]),
  ])
}

/** Both decodes of `body` agree value by value, and the normalizer makes the same rows of them. */
function expectSameAsPlain(body: Uint8Array): void {
  const plain = decodeProtobuf(body)
  const text = decodeProtobuf(body, TEXT)
  const plainLists = attributeLists(plain)
  const textLists = attributeLists(text)
  expect(textLists.map((l) => l.map((kv) => kv.key))).toEqual(plainLists.map((l) => l.map((kv) => kv.key)))
  for (let i = 0; i < plainLists.length; i++)
    for (let j = 0; j < plainLists[i]!.length; j++) {
      const value = textLists[i]![j]!.value
      const original = plainLists[i]![j]!.value
      expect(anyValueToString(value)).toBe(anyValueToString(original))
      // Scalars arrive as text; only arrays and kvlists stay structured.
      const structured = original?.arrayValue !== undefined || original?.kvlistValue !== undefined
      expect(typeof value === 'string').toBe(!structured)
    }
  for (const ctx of contexts)
    expect(new Normalizer().normalize(text, ctx)).toEqual(new Normalizer().normalize(plain, ctx))
}

/** A span with every kind of attribute value, on the resource, scope, span, its events and links. */
function everyKind(): Uint8Array {
  const values = [
    { key: 's', value: { stringValue: 'héllo ☃' } },
    { key: 'empty', value: { stringValue: '' } },
    { key: 'long', value: { stringValue: 'x'.repeat(33) } },
    { key: 'longer', value: { stringValue: 'ü'.repeat(500) } },
    { key: 'i', value: { intValue: 42 } },
    { key: 'neg', value: { intValue: -7 } },
    { key: 'big', value: { intValue: '9223372036854775807' } },
    { key: 'min', value: { intValue: '-9223372036854775808' } },
    { key: 'yes', value: { boolValue: true } },
    { key: 'no', value: { boolValue: false } },
    { key: 'd', value: { doubleValue: 0.25 } },
    { key: 'nan', value: { doubleValue: NaN } },
    { key: 'inf', value: { doubleValue: -Infinity } },
    { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 2, 250]) } },
    {
      key: 'arr',
      value: {
        arrayValue: {
          values: [{ stringValue: 'a' }, { intValue: 1 }, { boolValue: true }, { doubleValue: 1.5 }, {}],
        },
      },
    },
    {
      key: 'kv',
      value: {
        kvlistValue: {
          values: [
            {
              key: 'inner',
              value: { kvlistValue: { values: [{ key: 'b', value: { bytesValue: Buffer.from('hi') } }] } },
            },
            { key: 'none' },
          ],
        },
      },
    },
    { key: 'unset', value: {} },
    { key: 'novalue' },
    { key: 'gen_ai.usage.input_tokens', value: { intValue: 812 } },
    { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
    { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
    { key: 'loopgate.cost_usd', value: { doubleValue: 0.00024 } },
    { key: 'loopgate.tenant.id', value: { stringValue: 'tenant-7' } },
    { key: 'session.id', value: { stringValue: 'session-1' } },
  ]
  const traceId = Buffer.alloc(16, 0xab)
  return requestType
    .encode({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }, ...values] },
          scopeSpans: [
            {
              scope: { name: 'scope', version: '1', attributes: values },
              spans: [
                {
                  traceId,
                  spanId: Buffer.alloc(8, 1),
                  name: 'chat',
                  kind: 3,
                  startTimeUnixNano: '1795311655175000123',
                  endTimeUnixNano: '1795311655275000123',
                  attributes: values,
                  events: [{ timeUnixNano: '1795311655175000200', name: 'gen_ai.content.prompt', attributes: values }],
                  links: [{ traceId, spanId: Buffer.alloc(8, 3), attributes: values }],
                  status: { code: 2, message: 'boom' },
                },
              ],
            },
          ],
        },
      ],
    })
    .finish()
}

describe('protobuf decoding with scalars as text (the receiver’s)', () => {
  it('gives every convention’s spans the same rows as the plain decode', () => {
    for (const spec of [gatewaySpans, openInferenceSpans, traceloopSpans, langfuseSpans, vercelSpans, oldGenAiSpans])
      expectSameAsPlain(emitProtobuf(spec))
  })

  it('turns every kind of value into the text the normalizer stores, wherever attributes are', () => {
    expectSameAsPlain(everyKind())
    const text = decodeProtobuf(everyKind(), TEXT)
    const span = text.resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    const byKey = Object.fromEntries(span.attributes.map((kv) => [kv.key, kv.value]))
    expect(byKey).toMatchObject({
      s: 'héllo ☃',
      i: '42',
      big: '9223372036854775807',
      min: '-9223372036854775808',
      yes: 'true',
      d: '0.25',
      nan: 'NaN',
      bytes: Buffer.from([0, 1, 2, 250]).toString('base64'),
      unset: '',
      novalue: '',
    })
    expect(typeof byKey.arr).toBe('object')
    expect(anyValueToString(byKey.kv)).toBe('{"inner":{"b":"aGk="},"none":null}')
  })

  it('takes the last value of the oneof and skips unknown fields and wrong wire types as the plain decode does', () => {
    // AnyValue with a string, then an int (the last wins), an unknown field 15, and field 1 sent as a varint.
    const anyValue = Buffer.concat([
      lenField(1, Buffer.from('first')),
      varintField(3, 5),
      lenField(15, Buffer.from('unknown')),
      varintField(1, 9),
    ])
    const kv = Buffer.concat([lenField(1, Buffer.from('k')), lenField(2, anyValue), lenField(9, Buffer.from('x'))])
    const onlyUnknown = Buffer.concat([lenField(1, Buffer.from('u')), lenField(2, lenField(15, Buffer.from('?')))])
    const span = Buffer.concat([
      lenField(1, Buffer.alloc(16, 1)),
      lenField(2, Buffer.alloc(8, 2)),
      lenField(9, kv),
      lenField(9, onlyUnknown),
      lenField(99, Buffer.from('future field')),
    ])
    const body = lenField(1, lenField(2, lenField(2, span)))
    expectSameAsPlain(body)
    const attrs = decodeProtobuf(body, TEXT).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes
    expect(attrs).toEqual([
      { key: 'k', value: '5' },
      { key: 'u', value: '' },
    ])
  })

  it('decodes many distinct short values exactly though recently seen ones are reused (many share a slot)', () => {
    const attributes = Array.from({ length: 20_000 }, (_, i) => ({
      key: `k${i % 7}`,
      value: { stringValue: `v-${(i * 7919) % 12_007}-${'é'.repeat(i % 5)}` },
    }))
    const body = requestType
      .encode({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), attributes }] }] },
        ],
      })
      .finish()
    for (let round = 0; round < 2; round++) {
      const decoded = decodeProtobuf(body, TEXT).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes
      expect(decoded.map((kv) => kv.value)).toEqual(attributes.map((a) => a.value.stringValue))
    }
  })

  it('caps deep nesting at the same depth as the plain decode', () => {
    const body = deeplyNestedBody(5000)
    expectSameAsPlain(body)
    const text = anyValueToString(
      decodeProtobuf(body, TEXT).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes[0]!.value,
    )
    expect(text).toContain('[truncated: nested deeper than 32 levels]')
  })

  it('refuses every truncation of a body and garbage with an OtlpDecodeError, as the plain decode does', () => {
    const body = everyKind()
    for (let cut = 1; cut < body.length; cut++) {
      let plainError: unknown
      let textError: unknown
      try {
        decodeProtobuf(body.subarray(0, cut))
      } catch (err) {
        plainError = err
      }
      try {
        decodeProtobuf(body.subarray(0, cut), TEXT)
      } catch (err) {
        textError = err
      }
      expect(textError).toBeInstanceOf(OtlpDecodeError)
      expect((textError as Error).message).toBe((plainError as Error).message)
    }
    expect(() => decodeProtobuf(Buffer.from('this is not protobuf at all'), TEXT)).toThrow(/invalid protobuf/)
  })
})
