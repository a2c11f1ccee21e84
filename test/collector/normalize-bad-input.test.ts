import { describe, expect, it } from 'vitest'
import { decodeJson, type ExportRequest } from '../../collector/otlp/decode.ts'
import { Normalizer } from '../../collector/normalize/index.ts'
import { MAX_VALUE_BYTES, TRUNCATED_ATTRIBUTE } from '../../collector/normalize/scan.ts'
import { TRUNCATED_VALUE } from '../../collector/otlp/model.ts'
import { encodeNativeBlock } from '../../collector/storage/native-block.ts'
import { spanColumns } from '../../collector/storage/span-columns.ts'

const ctx = { tenantId: 't1', trustTenantAttribute: false }
const TRACE = '0af7651916cd43dd8448eb211c80319c'
const span = (over: Record<string, unknown>) => ({
  traceId: TRACE,
  spanId: 'b7ad6b7169203331',
  name: 'ok',
  startTimeUnixNano: '1700000000000000000',
  endTimeUnixNano: '1700000000500000000',
  ...over,
})
const request = (...spans: Record<string, unknown>[]): ExportRequest =>
  decodeJson(
    JSON.stringify({
      resourceSpans: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans }] },
      ],
    }),
  )

describe('span refusal keeps the rest of the request', () => {
  it('rejects ids of the wrong length or all zero, with reasons, and keeps the valid spans', () => {
    const result = new Normalizer().normalize(
      request(
        span({ name: 'good' }),
        span({ name: 'short-trace', traceId: 'abcd' }),
        span({ name: 'zero-trace', traceId: '0'.repeat(32) }),
        span({ name: 'long-span', spanId: 'b7ad6b716920333100' }),
        span({ name: 'bad-parent', parentSpanId: 'abc' }),
        span({ name: 'not-hex', spanId: 'zzzzzzzzzzzzzzzz' }),
        span({ name: 'no-ids', traceId: undefined, spanId: undefined }),
      ),
      ctx,
    )
    expect(result.rows.map((r) => r.SpanName)).toEqual(['good'])
    expect(result.rejected).toBe(6)
    expect(result.errors).toHaveLength(6)
    expect(result.errors[0]).toMatch(/trace id 'abcd' \(4 chars\) must be 16 bytes/)
    expect(result.errors[2]).toMatch(/span id 'b7ad6b716920333100' \(18 chars\) must be 8 bytes/)
    expect(result.errors[3]).toMatch(/parent span id 'abc'/)
    expect(result.errors[5]).toMatch(/\(empty\)/)
    expect(result.rows[0]).toMatchObject({
      Duration: '500000000',
      Timestamp: '1700000000000000000',
      ServiceName: 'svc',
      tenant_id: 't1',
    })
  })

  it('refuses times ClickHouse cannot store and ignores counts, costs and TTFTs out of range, so every row it keeps can be written', () => {
    const attr = (key: string, v: string) => ({ key, value: { stringValue: v } })
    const llm = [
      attr('gen_ai.operation.name', 'chat'),
      attr('gen_ai.request.model', 'gpt-4o-mini'),
      attr('gen_ai.provider.name', 'openai'),
    ]
    const result = new Normalizer().normalize(
      request(
        span({ name: 'future', startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '18446744073709551615' }),
        span({
          name: 'future-event',
          spanId: 'b7ad6b7169203332',
          events: [{ timeUnixNano: '9223372036854775808', name: 'e' }],
        }),
        span({
          name: 'huge-values',
          spanId: 'b7ad6b7169203333',
          attributes: [
            ...llm,
            attr('gen_ai.usage.input_tokens', '1' + '0'.repeat(30)),
            attr('gen_ai.usage.output_tokens', '7'),
            attr('gen_ai.usage.cost', '1e30'),
            attr('loopgate.ttft_ms', '1e40'),
          ],
        }),
      ),
      ctx,
    )
    expect(result.errors).toHaveLength(2)
    expect(result.errors[0]).toMatch(/time 18446744073709551615 ns is after 2262-04-11/)
    expect(result.errors[1]).toMatch(/time 9223372036854775808 ns/)
    expect(result.rows).toHaveLength(1)
    expect(result.rows[0]).toMatchObject({ input_tokens: 0, output_tokens: 7, cost_source: 'computed', ttft_ns: '0' })
    expect(() => encodeNativeBlock(spanColumns, result.rows)).not.toThrow()
  })

  it('refuses a span with 100k attributes with a clear reason and keeps its neighbour', () => {
    const attributes = Array.from({ length: 100_000 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } }))
    const result = new Normalizer().normalize(
      request(span({ name: 'huge', attributes }), span({ name: 'fine', spanId: 'b7ad6b7169203332' })),
      ctx,
    )
    expect(result.rows.map((r) => r.SpanName)).toEqual(['fine'])
    expect(result.errors[0]).toMatch(/100000 attributes exceed the limit of 10000/)
  })

  it('cuts a value over 1 MiB and says so in loopgate.truncated_attributes', () => {
    const big = 'é'.repeat(MAX_VALUE_BYTES) // 2 bytes per char in UTF-8
    const result = new Normalizer().normalize(
      request(span({ attributes: [{ key: 'input.value', value: { stringValue: big } }] })),
      ctx,
    )
    const row = result.rows[0]!
    expect(Buffer.byteLength(row.SpanAttributes['input.value']!)).toBe(MAX_VALUE_BYTES)
    expect(row.SpanAttributes[TRUNCATED_ATTRIBUTE]).toBe('["input.value"]')
  })
})

describe('attribute flattening', () => {
  it('keeps every attribute: scalars as text, arrays/kvlists as JSON, bytes as base64, deep nesting capped', () => {
    let deep: Record<string, unknown> = { stringValue: 'leaf' }
    for (let i = 0; i < 200; i++) deep = { arrayValue: { values: [deep] } }
    const result = new Normalizer().normalize(
      request(
        span({
          attributes: [
            { key: 's', value: { stringValue: 'x' } },
            { key: 'i', value: { intValue: '9223372036854775807' } },
            { key: 'd', value: { doubleValue: 1.5 } },
            { key: 'b', value: { boolValue: false } },
            { key: 'bytes', value: { bytesValue: 'AAEC' } },
            { key: 'snake', value: { string_value: 'y' } },
            {
              key: 'arr',
              value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, { doubleValue: 2.5 }] } },
            },
            {
              key: 'kv',
              value: {
                kvlistValue: {
                  values: [
                    { key: 'n', value: { intValue: '18446744073709551615' } },
                    { key: 'o', value: { kvlistValue: { values: [] } } },
                  ],
                },
              },
            },
            { key: 'deep', value: deep },
            { key: 'empty', value: {} },
            { key: 'nullish' },
          ],
        }),
      ),
      ctx,
    )
    const attrs = result.rows[0]!.SpanAttributes
    expect(attrs).toMatchObject({
      s: 'x',
      i: '9223372036854775807',
      d: '1.5',
      b: 'false',
      bytes: 'AAEC',
      snake: 'y',
      arr: '["a",1,2.5]',
      kv: '{"n":18446744073709551615,"o":{}}',
      empty: '',
      nullish: '',
    })
    const parsed = JSON.parse(attrs.deep!) as unknown
    let depth = 0
    let v: unknown = parsed
    while (Array.isArray(v)) {
      v = v[0]
      depth++
    }
    expect(depth).toBe(32)
    expect(v).toBe(TRUNCATED_VALUE)
  })

  it('keeps invalid UTF-8 from JSON bodies as replacement characters', () => {
    const body = Buffer.concat([
      Buffer.from(
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + TRACE + '","spanId":"b7ad6b7169203331","name":"',
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}]}]}]}'),
    ])
    const result = new Normalizer().normalize(decodeJson(body.toString('utf8')), ctx)
    expect(result.rows[0]!.SpanName).toBe('\uFFFD\uFFFD')
  })
})
