import { describe, expect, it } from 'vitest'
import { gatewayConfigSchema } from '../../gateway/config.ts'
import { cacheKey } from '../../gateway/cache/key.ts'
import { MemoryCacheStore } from '../../gateway/cache/memory-store.ts'
import { entryBytes, type CacheEntry } from '../../gateway/cache/store.ts'

const entry = (body: string): CacheEntry => ({
  form: 'json',
  body,
  costUsd: '0.000001',
  target: 'sim/sim-small',
  storedAt: 0,
})

describe('memory cache store', () => {
  it('stays within its byte bound, evicting the least recently used entries first', async () => {
    const one = entryBytes(entry('x'.repeat(100)))
    const store = new MemoryCacheStore(one * 3)
    await store.set('a', entry('a'.repeat(100)), 60_000)
    await store.set('b', entry('b'.repeat(100)), 60_000)
    await store.set('c', entry('c'.repeat(100)), 60_000)
    expect(await store.get('a')).toBeDefined() // a is now the most recently used
    await store.set('d', entry('d'.repeat(100)), 60_000)
    expect(await store.get('b')).toBeUndefined()
    expect(await store.get('a')).toBeDefined()
    expect(await store.get('c')).toBeDefined()
    expect(await store.get('d')).toBeDefined()
    const m = store.metrics()
    expect(m.loopgate_response_cache_bytes).toBe(one * 3)
    expect(m.loopgate_response_cache_entries).toBe(3)
    expect(m.loopgate_response_cache_evictions_total).toBe(1)
    // Two entries' worth evicts two.
    await store.set('e', entry('e'.repeat(100 + one)), 60_000)
    expect(store.metrics().loopgate_response_cache_bytes).toBeLessThanOrEqual(one * 3)
    expect(await store.get('e')).toBeDefined()
  })

  it('keeps nothing larger than the whole bound, and replaces an entry in place', async () => {
    const store = new MemoryCacheStore(300)
    await store.set('big', entry('x'.repeat(400)), 60_000)
    expect(await store.get('big')).toBeUndefined()
    await store.set('k', entry('one'), 60_000)
    await store.set('k', entry('two'), 60_000)
    expect((await store.get('k'))!.body).toBe('two')
    expect(store.metrics().loopgate_response_cache_entries).toBe(1)
    expect(store.metrics().loopgate_response_cache_bytes).toBe(entryBytes(entry('two')))
  })

  it('an entry expires at its TTL (and frees its bytes)', async () => {
    let now = 1_000
    const store = new MemoryCacheStore(10_000, () => now)
    await store.set('k', entry('v'), 5_000)
    now = 5_999
    expect(await store.get('k')).toBeDefined()
    now = 6_000
    expect(await store.get('k')).toBeUndefined()
    expect(store.metrics().loopgate_response_cache_bytes).toBe(0)
  })
})

describe('cache key', () => {
  const base = {
    tenantId: 'acme',
    route: 'chat',
    protocol: 'openai' as const,
    op: 'chat' as const,
    form: 'json' as const,
    headers: [undefined, undefined],
  }
  const body = { model: 'chat', messages: [{ role: 'user', content: 'hi' }], temperature: 0 }
  it('is the same for the same request in another key order or with other user/metadata', () => {
    const k = cacheKey({ ...base, body })
    expect(
      cacheKey({
        ...base,
        body: {
          temperature: 0,
          messages: [{ content: 'hi', role: 'user' }],
          model: 'chat',
          user: 'x',
          metadata: { a: 1 },
        },
      }),
    ).toBe(k)
    expect(k).toMatch(/^[0-9a-f]{64}$/)
  })
  it('differs by tenant, route, form, headers and any answer-changing field', () => {
    const k = cacheKey({ ...base, body })
    const others = [
      cacheKey({ ...base, tenantId: 'beta', body }),
      cacheKey({ ...base, route: 'chat2', body }),
      cacheKey({ ...base, form: 'sse', body }),
      cacheKey({ ...base, protocol: 'anthropic', body }),
      cacheKey({ ...base, headers: ['fast', undefined], body }),
      cacheKey({ ...base, body: { ...body, temperature: 1 } }),
      cacheKey({ ...base, body: { ...body, messages: [{ role: 'user', content: 'hi!' }] } }),
    ]
    expect(new Set([k, ...others]).size).toBe(others.length + 1)
  })
  it('does not mistake a tenant id containing the separator for another tenant', () => {
    expect(cacheKey({ ...base, tenantId: 'a', route: 'b/chat', body })).not.toBe(
      cacheKey({ ...base, tenantId: 'a/b', route: 'chat', body }),
    )
  })
})

describe('route cache config', () => {
  const problems = (cache: unknown) => {
    const r = gatewayConfigSchema.safeParse({
      routes: [{ name: 'r', targets: [{ provider: 'p', model: 'm' }], cache }],
    })
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
  }
  it('is off unless set, with a 1 MiB entry bound by default', () => {
    const s = gatewayConfigSchema.parse({ routes: [{ name: 'r', targets: [{ provider: 'p', model: 'm' }] }] })
    expect(s.routes[0]!.cache).toBeUndefined()
    expect(s.responseCache).toEqual({ maxBytes: 64 * 1024 * 1024, redisTimeoutMs: 50 })
    const on = gatewayConfigSchema.parse({
      routes: [{ name: 'r', targets: [{ provider: 'p', model: 'm' }], cache: { ttlSeconds: 60 } }],
    })
    expect(on.routes[0]!.cache).toEqual({ ttlSeconds: 60, maxEntryBytes: 1024 * 1024 })
  })
  it('names the field and the fix when wrong', () => {
    expect(problems({})).toEqual([
      expect.stringMatching(/^routes\.0\.cache\.ttlSeconds: cache\.ttlSeconds is required.*e\.g\. 300/),
    ])
    expect(problems({ ttlSeconds: 0 })).toEqual([expect.stringMatching(/ttlSeconds: .*at least 1/)])
    expect(problems({ ttlSeconds: 1.5 })).toEqual([expect.stringMatching(/ttlSeconds: .*whole number/)])
    expect(problems({ ttlSeconds: 10 ** 7 })).toEqual([expect.stringMatching(/ttlSeconds: .*at most 604800/)])
    expect(problems({ ttlSeconds: 5, maxEntryBytes: 0 })).toEqual([
      expect.stringMatching(/maxEntryBytes: .*at least 1/),
    ])
    expect(problems({ ttlSeconds: 5, ttl: 5 }).join()).toMatch(/routes\.0\.cache.*ttl/)
  })
})
