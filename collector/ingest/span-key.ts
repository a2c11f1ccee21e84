/**
 * A span's identity for deduplication, (tenant, trace id, span id), as two 32-bit MurmurHash3
 * values (seed 0) of two arrangements of the same three fields. ClickHouse computes the same with
 * `murmurHash3_32(…)` (spanKeySql), so the ids of recently stored spans load from storage as
 * eight bytes each. The pair is a 64-bit fingerprint: two different spans share one with a chance
 * of about n / 2⁶⁴ per look-up among n remembered ids (≈ 1e-13 at 2 M).
 */
export interface SpanKeyFields {
  tenant_id: string
  TraceId: string
  SpanId: string
}

/** The same two hashes in ClickHouse, over the spans table's columns (test/collector/ingest-dedup-ids.test.ts holds the two equal). */
export const spanKeySql = {
  hi: `murmurHash3_32(concat(tenant_id, '\\0', TraceId, SpanId))`,
  lo: `murmurHash3_32(concat(SpanId, TraceId, '\\0', tenant_id))`,
}

/** `text`: the exact identity (for maps of spans in flight); `hi`, `lo`: its fingerprint. */
export function spanKey(s: SpanKeyFields): { text: string; hi: number; lo: number } {
  const a = `${s.tenant_id}\u0000${s.TraceId}${s.SpanId}`
  return { text: a, hi: murmur3(a), lo: murmur3(`${s.SpanId}${s.TraceId}\u0000${s.tenant_id}`) }
}

/** MurmurHash3 x86 32-bit, seed 0, over the UTF-8 bytes of `text` (as ClickHouse's murmurHash3_32). */
function murmur3(text: string): number {
  for (let i = 0; i < text.length; i++) {
    // Non-ASCII: hash the UTF-8 bytes, one char code per byte.
    if (text.charCodeAt(i) > 0x7f) return murmurCodes(Buffer.from(text, 'utf8').toString('latin1'))
  }
  return murmurCodes(text)
}

/** Over the char codes of `s`, each one byte (ASCII, or UTF-8 bytes as latin1). */
function murmurCodes(s: string): number {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  const length = s.length
  let h = 0
  const blocks = length & ~3
  for (let i = 0; i < blocks; i += 4) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const rest = length & 3
  if (rest > 0) {
    let k = 0
    if (rest === 3) k ^= s.charCodeAt(blocks + 2) << 16
    if (rest >= 2) k ^= s.charCodeAt(blocks + 1) << 8
    k ^= s.charCodeAt(blocks)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
