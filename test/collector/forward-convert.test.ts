// Re-encoding for forwarding destinations that want the other OTLP wire format: what the
// collector's own decoders read from the converted bytes equals what they read from the original.
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { convertItem } from '../../collector/forward/convert.ts'
import { decodeJson, decodeProtobuf, type ExportRequest } from '../../collector/otlp/decode.ts'
import { sdkRecorder, toJson, toProtobuf } from './fixtures/sdk-spans.ts'

const PROTOBUF = 'application/x-protobuf'
const JSON_TYPE = 'application/json'

/** One canonical form for comparing decoded requests: bytes as base64, 64-bit ints as strings. */
function canon(request: ExportRequest): unknown {
  return JSON.parse(
    JSON.stringify(request, function (this: Record<string, unknown>, key, value: unknown) {
      const raw = this[key]
      if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64')
      if (key === 'intValue') return String(value)
      return value
    }),
  )
}

function decode(body: Buffer, contentType: string): ExportRequest {
  return contentType === JSON_TYPE ? decodeJson(body.toString('utf8')) : decodeProtobuf(body)
}

function sdkSpans() {
  const rec = sdkRecorder({ 'service.name': 'forwarded', 'deployment.environment': 'test' })
  const parent = rec.tracer.startSpan('parent', {
    attributes: { big: 2 ** 53 + 1, ratio: 0.25, list: ['a', 'b'], flag: true },
  })
  const child = rec.tracer.startSpan('child', {
    kind: 3,
    links: [{ context: parent.spanContext(), attributes: { why: 'retry' } }],
  })
  child.addEvent('first token', { n: 1 })
  child.setStatus({ code: 2, message: 'upstream 503' })
  child.end()
  parent.end()
  return rec.spans()
}

describe('forwarding conversion between OTLP protobuf and OTLP/JSON', () => {
  it('protobuf → JSON keeps every span, id, time, kind, status, event, link and typed attribute', () => {
    const original = Buffer.from(toProtobuf(sdkSpans()))
    const converted = convertItem({ body: original, contentType: PROTOBUF }, 'json')
    expect(converted.contentType).toBe(JSON_TYPE)
    const json = JSON.parse(converted.body.toString('utf8'))
    const span = json.resourceSpans[0].scopeSpans[0].spans[0]
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/) // hex, as OTLP/JSON requires (not base64)
    expect(span.startTimeUnixNano).toMatch(/^\d{19}$/) // exact nanoseconds as a string
    expect(canon(decode(converted.body, JSON_TYPE))).toEqual(canon(decodeProtobuf(original)))
  })

  it('JSON → protobuf keeps the same, including 64-bit integers beyond 2^53 and exact times', () => {
    const original = Buffer.from(toJson(sdkSpans()), 'utf8')
    const converted = convertItem({ body: original, contentType: JSON_TYPE }, 'protobuf')
    expect(converted.contentType).toBe(PROTOBUF)
    expect(canon(decodeProtobuf(converted.body))).toEqual(canon(decodeJson(original.toString('utf8'))))
  })

  it('reads what OTLP/JSON producers send loosely (snake_case, enum names, base64 bytes, NaN) into valid protobuf', () => {
    const loose = {
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'loose' } }] },
          scope_spans: [
            {
              scope: { name: 's' },
              spans: [
                {
                  trace_id: '0af7651916cd43dd8448eb211c80319c',
                  span_id: 'b7ad6b7169203331',
                  name: 'loose span',
                  kind: 'SPAN_KIND_CLIENT',
                  start_time_unix_nano: '1733560000123456789',
                  end_time_unix_nano: 1733560000223456789n.toString(),
                  attributes: [
                    { key: 'blob', value: { bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') } },
                    { key: 'nan', value: { doubleValue: 'NaN' } },
                    { key: 'huge', value: { intValue: '9007199254740993' } },
                  ],
                  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
                },
              ],
            },
          ],
        },
      ],
    }
    const converted = convertItem({ body: Buffer.from(JSON.stringify(loose)), contentType: JSON_TYPE }, 'protobuf')
    const span = decodeProtobuf(converted.body).resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    expect(span).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      kind: 3,
      startTimeUnixNano: '1733560000123456789',
      status: { code: 2, message: 'boom' },
    })
    const attr = Object.fromEntries(span.attributes.map((a) => [a.key, a.value]))
    expect(Buffer.from(attr.blob!.bytesValue as Uint8Array)).toEqual(Buffer.from([0, 1, 254, 255]))
    expect(Number.isNaN(attr.nan!.doubleValue)).toBe(true)
    expect(String(attr.huge!.intValue)).toBe('9007199254740993')
    // and back to JSON: NaN as the string OTLP/JSON uses, bytes as base64
    const back = JSON.parse(convertItem(converted, 'json').body.toString('utf8'))
    const values = back.resourceSpans[0].scopeSpans[0].spans[0].attributes.map((a: { value: unknown }) => a.value)
    expect(values).toEqual([{ bytesValue: 'AAH+/w==' }, { doubleValue: 'NaN' }, { intValue: '9007199254740993' }])
  })

  it('keeps gzip as gzip, and returns the item untouched when it already has the wanted format', () => {
    const body = gzipSync(toProtobuf(sdkSpans()))
    const same = { body, contentType: PROTOBUF, contentEncoding: 'gzip' }
    expect(convertItem(same, 'protobuf')).toBe(same)
    const json = convertItem(same, 'json')
    expect(json.contentEncoding).toBe('gzip')
    expect(json.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
  })
})
