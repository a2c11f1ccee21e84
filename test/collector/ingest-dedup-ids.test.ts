import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { RecentIds } from '../../collector/ingest/recent-ids.ts'
import { spanKey, spanKeySql } from '../../collector/ingest/span-key.ts'
import { createStorageClient } from '../../collector/storage/client.ts'

const db = await createStorageClient(
  storageConfigSchema.parse({ path: mkdtempSync(join(tmpdir(), 'loopgate-dedup-ids-')) }),
)
afterAll(() => db.close())

describe('span fingerprints', () => {
  it('are the same in TypeScript and in ClickHouse (so ids load from storage), for ASCII and UTF-8 tenants of every length', async () => {
    const spans = ['acme', 'a', '', 'tenant-ü-東京', 'x'.repeat(37)].flatMap((tenant_id, i) =>
      ['0af7651916cd43dd8448eb211c80319c', 'ab'.repeat(16)].map((TraceId, j) => ({
        tenant_id,
        TraceId,
        SpanId: `${i}${j}`.padStart(16, '0'),
      })),
    )
    const rs = await db.query({
      query: `SELECT ${spanKeySql.hi} AS hi, ${spanKeySql.lo} AS lo FROM (
                SELECT arrayJoin(arrayEnumerate({t:Array(String)})) AS i, {t:Array(String)}[i] AS tenant_id,
                  {tr:Array(String)}[i] AS TraceId, {sp:Array(String)}[i] AS SpanId) ORDER BY i`,
      query_params: {
        t: spans.map((s) => s.tenant_id),
        tr: spans.map((s) => s.TraceId),
        sp: spans.map((s) => s.SpanId),
      },
      format: 'JSONEachRow',
    })
    const fromSql = await rs.json<{ hi: number; lo: number }>()
    expect(fromSql.map((r) => [Number(r.hi), Number(r.lo)])).toEqual(spans.map((s) => [spanKey(s).hi, spanKey(s).lo]))
    // Tenant and ids are separated: moving characters between them gives another fingerprint.
    expect(spanKey({ tenant_id: 'ab', TraceId: 'c', SpanId: 'd' }).hi).not.toBe(
      spanKey({ tenant_id: 'a', TraceId: 'bc', SpanId: 'd' }).hi,
    )
  })
})

describe('RecentIds', () => {
  it('remembers up to its capacity, forgets the oldest first, and forgets what is older than its window', () => {
    const ids = new RecentIds(1000, 60_000)
    for (let i = 1; i <= 1500; i++) ids.add(i * 7919, i, i) // time i ms
    expect(ids.size).toBe(1000)
    expect(ids.has(500 * 7919, 500)).toBe(false) // evicted: the 500 oldest went
    expect(ids.has(501 * 7919, 501)).toBe(true)
    expect(ids.has(1500 * 7919, 1500)).toBe(true)
    expect(ids.has(1500 * 7919, 1499)).toBe(false)
    ids.expire(60_000 + 1200) // ids added before 1200 ms are past the window
    expect(ids.size).toBe(301)
    expect(ids.has(1199 * 7919, 1199)).toBe(false)
    expect(ids.has(1200 * 7919, 1200)).toBe(true)
  })

  it('keeps every look-up right through heavy churn (deletion keeps probe runs intact)', () => {
    const ids = new RecentIds(4096, 1e12)
    const live: [number, number][] = []
    let seed = 1
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
    for (let i = 0; i < 50_000; i++) {
      const key: [number, number] = [rand() & 0xff, rand()]
      ids.add(key[0], key[1], i)
      live.push(key)
      if (live.length > 4096) live.shift()
    }
    expect(ids.size).toBe(4096)
    for (const [hi, lo] of live) expect(ids.has(hi, lo)).toBe(true)
    expect(ids.has(0, 0)).toBe(false)
    ids.add(0, 0, 60_000)
    expect(ids.has(0, 0)).toBe(true)
  })
})
