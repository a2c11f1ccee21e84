import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { encodeNativeBlock, NativeEncodeError } from '../../collector/storage/native-block.ts'
import { spanColumns } from '../../collector/storage/span-columns.ts'
import type { SpanRow } from '../../collector/storage/span-row.ts'
import { openStore } from '../../collector/storage/store.ts'
import { spanRow } from '../helpers/span-row.ts'

const store = await openStore(storageConfigSchema.parse({ path: mkdtempSync(join(tmpdir(), 'loopgate-native-')) }))
afterAll(() => store.close())
const names = spanColumns.map((c) => c.name)

async function readBack(traceId: string): Promise<Record<string, unknown>> {
  const rs = await store.client.query({
    query: `SELECT ${names.map((n) => `\`${n}\``).join(', ')} FROM ${store.table('spans')} WHERE TraceId = {t:String}`,
    query_params: { t: traceId },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1, output_format_json_quote_decimals: 1 },
  })
  const [row] = await rs.json<Record<string, unknown>>()
  return row!
}

describe('Native blocks for the spans table', () => {
  it('names every column the table has except the ingest time, in the table’s base types', async () => {
    const rs = await store.client.query({
      query: `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = 'spans' AND name != 'ingested_at' ORDER BY position`,
      query_params: { db: store.database },
      format: 'JSONEachRow',
    })
    const table = await rs.json<{ name: string; type: string }>()
    const base = (t: string) => t.replaceAll(/LowCardinality\((\w+)\)/g, '$1')
    expect(spanColumns.map((c) => [c.name, c.type])).toEqual(table.map((c) => [c.name, base(c.type)]))
  })

  it('round-trips every kind of value through the store exactly', async () => {
    const long = 'ü'.repeat(300) + '😀'.repeat(50)
    const row: SpanRow = spanRow({
      Timestamp: '1795311655175000123',
      SpanName: 'chat ☃',
      ResourceAttributes: { 'service.name': 'svc', '': 'empty key', ['k'.repeat(200)]: long },
      SpanAttributes: {},
      Duration: '18446744073709551615',
      'Events.Timestamp': ['1795311655175000124', '1795311655175000125'],
      'Events.Name': ['first', ''],
      'Events.Attributes': [{ a: '1' }, {}],
      'Links.TraceId': ['ab'.repeat(16)],
      'Links.SpanId': ['cd'.repeat(8)],
      'Links.TraceState': ['x=1'],
      'Links.Attributes': [{ l: 'v' }],
      attempt: 65535,
      input_tokens: 2 ** 53 - 1,
      output_tokens: 0,
      cost_usd: '123456.000000000001',
      ttft_ns: '180000000',
      input_text: long,
      output_text: '',
    })
    await store.insertNative(store.table('spans'), names, encodeNativeBlock(spanColumns, [row, spanRow()]))
    const stored = await readBack(row.TraceId)
    expect(stored).toMatchObject({
      Timestamp: '2026-11-22 01:40:55.175000123',
      SpanName: 'chat ☃',
      ResourceAttributes: row.ResourceAttributes,
      SpanAttributes: {},
      Duration: '18446744073709551615',
      'Events.Name': ['first', ''],
      'Events.Attributes': [{ a: '1' }, {}],
      'Links.TraceId': row['Links.TraceId'],
      'Links.Attributes': [{ l: 'v' }],
      attempt: 65535,
      input_tokens: String(2 ** 53 - 1),
      cost_usd: '123456.000000000001',
      ttft_ns: '180000000',
      input_text: long,
    })
    expect(stored['Events.Timestamp']).toEqual(['2026-11-22 01:40:55.175000124', '2026-11-22 01:40:55.175000125'])
  })

  it('writes nanosecond times and 64-bit counts given as decimal text exactly as their 64-bit integers', () => {
    const times = [
      '0',
      '1',
      '999999999',
      '1000000000',
      '1795311655175000123',
      '4294967295999999999',
      '4294967296000000000',
      '9223372036854775807',
      '0001795311655175000123'.slice(3),
    ]
    const counts = ['0', '7', '999999999999999', '1000000000000000', '18446744073709551615', '']
    const timeBlock = encodeNativeBlock(
      [{ name: 't', type: 'DateTime64(9)' }],
      times.map((t) => ({ t })),
    )
    const countBlock = encodeNativeBlock(
      [{ name: 'n', type: 'UInt64' }],
      counts.map((n) => ({ n })),
    )
    const int64s = (block: Buffer, n: number) =>
      Array.from({ length: n }, (_, i) => block.readBigUInt64LE(block.length - 8 * (n - i)))
    expect(int64s(timeBlock, times.length)).toEqual(times.map((t) => BigInt(t)))
    expect(int64s(countBlock, counts.length)).toEqual(counts.map((n) => BigInt(n)))
    expect(() => encodeNativeBlock([{ name: 't', type: 'DateTime64(9)' }], [{ t: '9223372036854775808' }])).toThrow(
      NativeEncodeError,
    )
    expect(() => encodeNativeBlock([{ name: 't', type: 'DateTime64(9)' }], [{ t: '99999999999999999999' }])).toThrow(
      NativeEncodeError,
    )
  })

  it('refuses values a column cannot hold, naming the column', () => {
    const bad: [Partial<SpanRow>, string][] = [
      [{ Timestamp: 'yesterday' }, 'Timestamp'],
      [{ Duration: '-1' }, 'Duration'],
      [{ Duration: '18446744073709551616' }, 'Duration'],
      [{ attempt: 70000 }, 'attempt'],
      [{ input_tokens: 1.5 }, 'input_tokens'],
      [{ cost_usd: '0.0000000000001' }, 'cost_usd'],
      [{ cost_usd: '1e-3' }, 'cost_usd'],
      [{ cost_usd: '1000000.000000000000' }, 'cost_usd'],
      [{ SpanAttributes: { a: 1 as unknown as string } }, 'SpanAttributes'],
      [{ 'Events.Name': 'x' as unknown as string[] }, 'Events.Name'],
    ]
    for (const [override, column] of bad) {
      expect(() => encodeNativeBlock(spanColumns, [spanRow(override)])).toThrow(NativeEncodeError)
      expect(() => encodeNativeBlock(spanColumns, [spanRow(override)])).toThrow(column)
    }
  })
})
