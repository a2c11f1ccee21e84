import type { Store } from '../storage/store.ts'
import type { SpanDeduplicator } from './dedup.ts'
import { spanKeySql } from './span-key.ts'

/**
 * Fills the deduplicator with the spans stored within its window (newest `maxIds` of them), so a
 * span inserted just before a crash — stored, never acknowledged, sent again — is recognised.
 * Eight bytes per span travel (two hashes computed by ClickHouse) plus its insert time.
 */
export async function loadRecentSpanIds(store: Store, dedup: SpanDeduplicator): Promise<number> {
  if (!dedup.enabled) return 0
  const { maxIds, windowSeconds } = dedup.settings
  const rs = await store.client.query({
    query: `SELECT hi, lo, t FROM (
        SELECT ${spanKeySql.hi} AS hi, ${spanKeySql.lo} AS lo, toUnixTimestamp64Milli(ingested_at) AS t
        FROM ${store.table('spans')}
        WHERE ingested_at >= now64(3) - toIntervalSecond({window:UInt32})
        ORDER BY ingested_at DESC LIMIT {limit:UInt64})
      ORDER BY t`,
    query_params: { window: windowSeconds, limit: maxIds },
    format: 'TabSeparated',
  })
  const text = await rs.text()
  let loaded = 0
  for (let at = 0; at < text.length;) {
    const end = text.indexOf('\n', at)
    const line = text.slice(at, end < 0 ? text.length : end)
    at = end < 0 ? text.length : end + 1
    if (!line) continue
    const [hi, lo, t] = line.split('\t')
    dedup.remember(Number(hi), Number(lo), Number(t))
    loaded++
  }
  return loaded
}
