import { entryBytes, type CacheEntry, type CacheStore } from './store.ts'

interface Slot {
  entry: CacheEntry
  bytes: number
  expiresAt: number
}

/**
 * This process's cache, bounded by bytes: a Map kept in use order (a read moves the entry to the
 * end), so the least recently used entries are evicted first when a new one does not fit.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory'
  private readonly slots = new Map<string, Slot>()
  private bytes = 0
  private evictions = 0

  constructor(
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): Promise<CacheEntry | undefined> {
    return Promise.resolve(this.getNow(key))
  }

  getNow(key: string): CacheEntry | undefined {
    const slot = this.slots.get(key)
    if (!slot) return undefined
    this.slots.delete(key)
    if (slot.expiresAt <= this.now()) {
      this.bytes -= slot.bytes
      return undefined
    }
    this.slots.set(key, slot)
    return slot.entry
  }

  set(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    const bytes = entryBytes(entry)
    const old = this.slots.get(key)
    if (old) {
      this.slots.delete(key)
      this.bytes -= old.bytes
    }
    if (bytes > this.maxBytes) return Promise.resolve()
    for (const [k, slot] of this.slots) {
      if (this.bytes + bytes <= this.maxBytes) break
      this.slots.delete(k)
      this.bytes -= slot.bytes
      this.evictions++
    }
    this.slots.set(key, { entry, bytes, expiresAt: this.now() + ttlMs })
    this.bytes += bytes
    return Promise.resolve()
  }

  metrics(): Record<string, number> {
    return {
      loopgate_response_cache_bytes: this.bytes,
      loopgate_response_cache_entries: this.slots.size,
      loopgate_response_cache_evictions_total: this.evictions,
    }
  }
}
