/**
 * The ids of recently stored spans, as 64-bit fingerprints (span-key.ts), in fixed typed arrays:
 * an open-addressing table (linear probing, deletion by backward shift) at most half full, plus a
 * ring in insertion order that evicts the oldest id when the set is full or older than the window.
 * Memory is fixed at start: 8 B × 2·capacity (table) + 12 B × capacity (ring) = 28 B per id.
 */
export class RecentIds {
  private readonly table: Uint32Array
  private readonly mask: number
  private readonly ringKeys: Uint32Array
  private readonly ringTimes: Float64Array
  private head = 0
  private count = 0

  constructor(
    readonly capacity: number,
    private readonly windowMs: number,
  ) {
    let slots = 2
    while (slots < capacity * 2) slots *= 2
    this.table = new Uint32Array(slots * 2)
    this.mask = slots - 1
    this.ringKeys = new Uint32Array(capacity * 2)
    this.ringTimes = new Float64Array(capacity)
  }

  get size(): number {
    return this.count
  }

  get bytes(): number {
    return this.table.byteLength + this.ringKeys.byteLength + this.ringTimes.byteLength
  }

  has(hi: number, lo: number): boolean {
    return this.find(hi, emptyless(hi, lo)) >= 0
  }

  /** Remembers an id stored at `atMs` (ids must be added in time order, as the ring evicts the oldest first). */
  add(hi: number, lo: number, atMs = Date.now()): void {
    if (this.capacity === 0) return
    lo = emptyless(hi, lo)
    this.expire(atMs)
    if (this.find(hi, lo) >= 0) return
    if (this.count === this.capacity) this.evictOldest()
    const tail = (this.head + this.count) % this.capacity
    this.ringKeys[tail * 2] = hi
    this.ringKeys[tail * 2 + 1] = lo
    this.ringTimes[tail] = atMs
    this.count++
    let slot = this.home(hi, lo)
    while (this.occupied(slot)) slot = (slot + 1) & this.mask
    this.table[slot * 2] = hi
    this.table[slot * 2 + 1] = lo
  }

  /** Forgets ids older than the window. */
  expire(nowMs = Date.now()): void {
    const cutoff = nowMs - this.windowMs
    while (this.count > 0 && this.ringTimes[this.head]! < cutoff) this.evictOldest()
  }

  private evictOldest(): void {
    const slot = this.find(this.ringKeys[this.head * 2]!, this.ringKeys[this.head * 2 + 1]!)
    if (slot >= 0) this.removeAt(slot)
    this.head = (this.head + 1) % this.capacity
    this.count--
  }

  private home(hi: number, lo: number): number {
    return (Math.imul(hi ^ lo, 0x9e3779b1) >>> 0) & this.mask
  }

  private occupied(slot: number): boolean {
    return this.table[slot * 2] !== 0 || this.table[slot * 2 + 1] !== 0
  }

  private find(hi: number, lo: number): number {
    for (let slot = this.home(hi, lo); this.occupied(slot); slot = (slot + 1) & this.mask) {
      if (this.table[slot * 2] === hi && this.table[slot * 2 + 1] === lo) return slot
    }
    return -1
  }

  /** Backward-shift deletion: later entries of the probe run move up so no look-up stops early. */
  private removeAt(slot: number): void {
    let hole = slot
    for (let next = (hole + 1) & this.mask; this.occupied(next); next = (next + 1) & this.mask) {
      const home = this.home(this.table[next * 2]!, this.table[next * 2 + 1]!)
      // Move `next` into the hole unless its home lies cyclically in (hole, next].
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next
      if (between) continue
      this.table[hole * 2] = this.table[next * 2]!
      this.table[hole * 2 + 1] = this.table[next * 2 + 1]!
      hole = next
    }
    this.table[hole * 2] = 0
    this.table[hole * 2 + 1] = 0
  }
}

/** (0, 0) marks an empty slot, so that one fingerprint is stored as (0, 1). */
const emptyless = (hi: number, lo: number) => ((hi | lo) === 0 ? 1 : lo)
