import { describe, expect, it } from 'vitest'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { SpanKind, SpanStatusCode, type Link } from '@opentelemetry/api'
import {
  OtlpDecodeError,
  decodeJson,
  decodeProtobuf,
  encodeResponseProtobuf,
  type AnyValue,
  type ExportRequest,
  type Span,
} from '../../collector/otlp/decode.ts'
import { messageType } from '../../collector/otlp/schema.ts'
import { deeplyNestedBody } from './fixtures/protobuf-wire.ts'
import { MAX_ANY_VALUE_DEPTH, TRUNCATED_VALUE } from '../../collector/otlp/model.ts'
import { hrToNanos, sdkRecorder, toJson, toProtobuf } from './fixtures/sdk-spans.ts'

const requestType = messageType('ExportTraceServiceRequest')

function allSpans(req: ExportRequest): Span[] {
  return req.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
}

/** AnyValue → plain JS for comparisons (ints as strings, bytes as hex). */
function plain(v: AnyValue | null | undefined): unknown {
  if (!v) return undefined
  if (v.stringValue !== undefined) return v.stringValue
  if (v.boolValue !== undefined) return v.boolValue
  if (v.intValue !== undefined) return String(v.intValue)
  if (v.doubleValue !== undefined) return Number(v.doubleValue)
  if (v.arrayValue) return (v.arrayValue.values as AnyValue[]).map(plain)
  if (v.bytesValue !== undefined)
    return v.bytesValue instanceof Uint8Array
      ? Buffer.from(v.bytesValue).toString('hex')
      : Buffer.from(String(v.bytesValue), 'base64').toString('hex')
  return null
}

function attrs(list: { key: string; value?: AnyValue | null }[]): Record<string, unknown> {
  return Object.fromEntries(list.map((kv) => [kv.key, plain(kv.value)]))
}

function makeSdkSpans() {
  const rec = sdkRecorder({ 'service.name': 'round-trip', 'deployment.environment': 'test' })
  const t0: [number, number] = [1_700_000_000, 123_456_789]
  const parent = rec.tracer.startSpan('parent', { kind: SpanKind.SERVER, startTime: t0 })
  const link: Link = { context: parent.spanContext(), attributes: { 'link.reason': 'follows' } }
  const child = rec.tracer.startSpan(
    'child',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_700_000_000, 223_456_789],
      links: [link],
      attributes: {
        str: 'héllo',
        int: 42,
        big: 9_007_199_254_740_000,
        dbl: 0.25,
        yes: true,
        strs: ['a', 'b'],
        ints: [1, 2, 3],
      },
    },
    undefined,
  )
  child.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': '[{"role":"user"}]' }, [1_700_000_000, 300_000_001])
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 500' })
  child.end([1_700_000_001, 999_999_999])
  parent.setStatus({ code: SpanStatusCode.OK })
  parent.end([1_700_000_002, 1])
  return rec.spans()
}

describe('round trip with the real OpenTelemetry SDK', () => {
  const spans = makeSdkSpans()
  for (const [format, decode] of [
    ['protobuf', () => decodeProtobuf(toProtobuf(spans))],
    ['json', () => decodeJson(toJson(spans))],
  ] as const) {
    it(`decodes ${format} to the same ids, times, attributes, events, links and status`, () => {
      const req = decode()
      expect(req.resourceSpans).toHaveLength(1)
      const rs = req.resourceSpans[0]!
      expect(attrs(rs.resource.attributes)).toMatchObject({
        'service.name': 'round-trip',
        'deployment.environment': 'test',
      })
      expect(rs.scopeSpans[0]!.scope).toMatchObject({ name: 'test-scope', version: '1.2.3' })
      const decoded = allSpans(req)
      expect(decoded).toHaveLength(2)
      for (const sdk of spans) {
        const d = decoded.find((s) => s.spanId === sdk.spanContext().spanId)!
        expect(d).toBeDefined()
        expect(d.traceId).toBe(sdk.spanContext().traceId)
        expect(d.parentSpanId).toBe(sdk.parentSpanContext?.spanId ?? '')
        expect(d.name).toBe(sdk.name)
        expect(d.kind).toBe(sdk.kind + 1)
        expect(d.startTimeUnixNano).toBe(hrToNanos(sdk.startTime))
        expect(d.endTimeUnixNano).toBe(hrToNanos(sdk.endTime))
        expect(d.status.code).toBe(sdk.status.code)
        expect(d.status.message).toBe(sdk.status.message ?? '')
        expect(d.events.map((e) => ({ name: e.name, time: e.timeUnixNano, attrs: attrs(e.attributes) }))).toEqual(
          sdk.events.map((e) => ({ name: e.name, time: hrToNanos(e.time), attrs: e.attributes ?? {} })),
        )
        expect(d.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attrs: attrs(l.attributes) }))).toEqual(
          sdk.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attrs: l.attributes ?? {} })),
        )
      }
      const child = decoded.find((s) => s.name === 'child')!
      expect(child.startTimeUnixNano).toBe('1700000000223456789')
      expect(child.endTimeUnixNano).toBe('1700000001999999999')
      expect(attrs(child.attributes)).toEqual({
        str: 'héllo',
        int: '42',
        big: '9007199254740000',
        dbl: 0.25,
        yes: true,
        strs: ['a', 'b'],
        ints: ['1', '2', '3'],
      })
    })
  }

  it('keeps int64 attributes beyond 2^53 exact', () => {
    const body = requestType
      .encode({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: Buffer.alloc(16, 1),
                    spanId: Buffer.alloc(8, 2),
                    name: 's',
                    startTimeUnixNano: '18446744073709551615',
                    endTimeUnixNano: '18446744073709551615',
                    attributes: [
                      { key: 'n', value: { intValue: '-9223372036854775808' } },
                      { key: 'm', value: { intValue: '9007199254740993' } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      })
      .finish()
    const span = allSpans(decodeProtobuf(body))[0]!
    expect(span.startTimeUnixNano).toBe('18446744073709551615')
    expect(span.attributes.map((kv) => kv.value?.intValue)).toEqual(['-9223372036854775808', '9007199254740993'])
  })
})

describe('OTLP/JSON quirks', () => {
  const base = (span: Record<string, unknown>) =>
    JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })
  it('accepts intValue as string or number, enum names, snake_case fields, base64 ids and ignores unknown fields', () => {
    const req = decodeJson(
      JSON.stringify({
        resource_spans: [
          {
            scope_spans: [
              {
                spans: [
                  {
                    trace_id: 'AQEBAQEBAQEBAQEBAQEBAQ==',
                    spanId: 'ABCDEF0123456789',
                    kind: 'SPAN_KIND_CLIENT',
                    name: 'x',
                    startTimeUnixNano: 1700000000000000000,
                    end_time_unix_nano: '1700000000000000001',
                    whatever: { nested: true },
                    status: { code: 'STATUS_CODE_ERROR' },
                    attributes: [
                      { key: 'a', value: { intValue: '12' } },
                      { key: 'b', value: { intValue: 13 } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    )
    const span = allSpans(req)[0]!
    expect(span.traceId).toBe('01010101010101010101010101010101')
    expect(span.spanId).toBe('abcdef0123456789')
    expect(span.kind).toBe(3)
    expect(span.status.code).toBe(2)
    expect(span.startTimeUnixNano).toBe('1700000000000000000')
    expect(span.endTimeUnixNano).toBe('1700000000000000001')
    expect(attrs(span.attributes)).toEqual({ a: '12', b: '13' })
  })

  it('rejects malformed JSON and wrong top-level types with clear messages', () => {
    expect(() => decodeJson('{"resourceSpans": [')).toThrow(OtlpDecodeError)
    expect(() => decodeJson('{"resourceSpans": [')).toThrow(/invalid JSON/)
    expect(() => decodeJson('[]')).toThrow(/must be a JSON object/)
    expect(() => decodeJson('{"resourceSpans": {}}')).toThrow(/resourceSpans must be an array/)
    expect(() => decodeJson(base({ name: 5 }))).toThrow(/spans\[0\]\.name must be a string/)
    expect(() => decodeJson(base({ traceId: 123 }))).toThrow(/traceId must be a hex string/)
    expect(() => decodeJson(base({ startTimeUnixNano: '-5' }))).toThrow(/startTimeUnixNano must be unsigned 64-bit/)
    expect(() => decodeJson(base({ attributes: ['x'] }))).toThrow(/attributes\[0\] must be an object/)
    expect(() => decodeJson(base({ kind: 'SIDEWAYS' }))).toThrow(/kind must be an enum/)
  })

  it('accepts an empty request', () => {
    expect(decodeJson('{}')).toEqual({ resourceSpans: [] })
    expect(decodeProtobuf(new Uint8Array(0))).toEqual({ resourceSpans: [] })
  })
})

describe('hostile protobuf', () => {
  const spans = makeSdkSpans()
  const body = toProtobuf(spans)

  it('rejects every truncation of a valid body with an OtlpDecodeError, never another error', () => {
    let failures = 0
    for (let cut = 1; cut < body.length; cut++) {
      try {
        decodeProtobuf(body.subarray(0, cut))
      } catch (err) {
        expect(err).toBeInstanceOf(OtlpDecodeError)
        expect((err as Error).message).toMatch(/^invalid protobuf: /)
        failures++
      }
    }
    // A cut exactly between top-level ResourceSpans is valid protobuf; here there is one, so every cut fails.
    expect(failures).toBe(body.length - 1)
  })

  it('rejects garbage with a clear message', () => {
    expect(() => decodeProtobuf(Buffer.from('this is not protobuf at all'))).toThrow(/invalid protobuf/)
    expect(() => decodeProtobuf(Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f))).toThrow(/runs past the end/)
  })

  it('caps AnyValue nesting without recursing unboundedly', () => {
    // Built by hand: protobufjs' own encoder refuses to nest this deep.
    const bytes = deeplyNestedBody(5000)
    const decoded = allSpans(decodeProtobuf(bytes))[0]!
    let v = decoded.attributes[0]!.value!
    let depth = 1
    while (v.kvlistValue) {
      v = (v.kvlistValue.values as { value: AnyValue }[])[0]!.value
      depth++
    }
    expect(depth).toBe(MAX_ANY_VALUE_DEPTH + 1)
    expect(v.stringValue).toBe(TRUNCATED_VALUE)
  })

  it('keeps invalid UTF-8 as replacement characters', () => {
    const bytes = requestType
      .encode({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: Buffer.alloc(16, 1),
                    spanId: Buffer.alloc(8, 2),
                    name: 'ok',
                    attributes: [{ key: 'k', value: { stringValue: 'PLACEHOLDER' } }],
                  },
                ],
              },
            ],
          },
        ],
      })
      .finish()
    const at = Buffer.from(bytes).indexOf('PLACEHOLDER')
    const mutated = Buffer.from(bytes)
    mutated[at] = 0xff
    mutated[at + 1] = 0xc3
    const span = allSpans(decodeProtobuf(mutated))[0]!
    expect(span.attributes[0]!.value!.stringValue).toBe('\uFFFD\uFFFDACEHOLDER')
  })

  it('decodes 100k attributes on one span', () => {
    const attributes = Array.from({ length: 100_000 }, (_, i) => ({ key: `a${i}`, value: { intValue: i } }))
    const bytes = requestType
      .encode({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), attributes }] }] },
        ],
      })
      .finish()
    expect(allSpans(decodeProtobuf(bytes))[0]!.attributes).toHaveLength(100_000)
  })

  it('decodes every key exactly though recently seen keys are reused (many share a cache slot)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => (i % 7 === 0 ? `ключ.${i}` : `k${i}`)).concat(
      'x'.repeat(65),
      'x'.repeat(64),
    )
    const bytes = requestType
      .encode({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: Buffer.alloc(16, 1),
                    spanId: Buffer.alloc(8, 2),
                    attributes: keys.map((key) => ({ key, value: { stringValue: key } })),
                  },
                ],
              },
            ],
          },
        ],
      })
      .finish()
    for (let pass = 0; pass < 2; pass++) {
      const decoded = allSpans(decodeProtobuf(bytes))[0]!.attributes
      expect(decoded.map((kv) => kv.key)).toEqual(keys)
      expect(decoded.every((kv) => kv.value!.stringValue === kv.key)).toBe(true)
    }
  })
})

describe('ExportTraceServiceResponse', () => {
  it('is empty for full success and carries partial_success otherwise', () => {
    expect(encodeResponseProtobuf()).toHaveLength(0)
    const bytes = encodeResponseProtobuf({ rejectedSpans: 3, errorMessage: 'span 1: trace id must be 16 bytes' })
    expect(ProtobufTraceSerializer.deserializeResponse(bytes)).toEqual({
      partialSuccess: { rejectedSpans: 3, errorMessage: 'span 1: trace id must be 16 bytes' },
    })
  })
})
