import { describe, expect, it } from 'vitest'
import { LruMap } from '../../collector/normalize/trace-cache.ts'

/** The plain definition: a Map re-inserted on every use, the first key the least recently used. */
class ReferenceLru<V> {
  readonly entries = new Map<string, V>()
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, hit)
    }
    return hit
  }
  set(key: string, value: V): void {
    if (this.capacity <= 0) return
    this.entries.delete(key)
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(key, value)
  }
}

describe('LruMap', () => {
  it('keeps and evicts exactly what a least-recently-used map does, over random gets and sets', () => {
    let seed = 12345
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
    for (const capacity of [0, 1, 2, 5, 17]) {
      const lru = new LruMap<number>(capacity)
      const reference = new ReferenceLru<number>(capacity)
      for (let i = 0; i < 5000; i++) {
        const key = `k${Math.floor(random() * capacity * 2 + 1)}`
        if (random() < 0.5) expect(lru.get(key)).toBe(reference.get(key))
        else {
          lru.set(key, i)
          reference.set(key, i)
        }
        expect(lru.size).toBe(reference.entries.size)
      }
      // The same keys survive, in the same order of use: reading them all back in order agrees.
      for (const key of [...reference.entries.keys()]) expect(lru.get(key)).toBe(reference.get(key))
    }
  })
})
