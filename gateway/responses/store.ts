/**
 * Responses kept for `previous_response_id`, `item_reference` and GET /v1/responses/{id}: in this
 * process's memory, per tenant, for a TTL, bounded by bytes (the oldest go first). A response
 * created with `store: false` is never kept.
 */

type Json = Record<string, unknown>

export interface StoredResponse {
  /** The response object as the client received it. */
  response: Json
  /** This request's own input items (references resolved; without the previous responses' items). */
  input: Json[]
  /** The response this one continued, if any. */
  previous: string | undefined
}

interface Entry extends StoredResponse {
  key: string
  tenant: string
  itemKeys: string[]
  bytes: number
  expiresAt: number
}

const keyOf = (tenant: string, id: string) => `${tenant}\u0000${id}`

export class ResponseStore {
  /** Insertion order is age order: eviction and expiry take from the front. */
  private readonly entries = new Map<string, Entry>()
  /** Item id → the item and the entry that holds it, for `item_reference` (a later response repeating an id takes it over). */
  private readonly items = new Map<string, { item: Json; owner: string }>()
  private bytes = 0

  constructor(
    readonly ttlMs: number,
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get usedBytes(): number {
    return this.bytes
  }

  put(tenant: string, stored: StoredResponse): void {
    const id = stored.response.id
    if (typeof id !== 'string' || this.ttlMs <= 0) return
    const bytes = JSON.stringify(stored.response).length + JSON.stringify(stored.input).length
    if (bytes > this.maxBytes) return
    const key = keyOf(tenant, id)
    this.remove(key)
    const itemKeys: string[] = []
    for (const item of [...stored.input, ...((stored.response.output as Json[] | undefined) ?? [])]) {
      if (typeof item.id !== 'string') continue
      const k = keyOf(tenant, item.id)
      this.items.set(k, { item, owner: key })
      itemKeys.push(k)
    }
    this.entries.set(key, { ...stored, key, tenant, itemKeys, bytes, expiresAt: this.now() + this.ttlMs })
    this.bytes += bytes
    this.sweep()
  }

  get(tenant: string, id: string): StoredResponse | undefined {
    this.sweep()
    return this.entries.get(keyOf(tenant, id))
  }

  item(tenant: string, id: string): Json | undefined {
    this.sweep()
    return this.items.get(keyOf(tenant, id))?.item
  }

  delete(tenant: string, id: string): boolean {
    return this.remove(keyOf(tenant, id))
  }

  private remove(key: string): boolean {
    const e = this.entries.get(key)
    if (!e) return false
    this.entries.delete(key)
    this.bytes -= e.bytes
    for (const k of e.itemKeys) if (this.items.get(k)?.owner === key) this.items.delete(k)
    return true
  }

  /** Drops expired entries, then the oldest while over the byte bound. */
  private sweep(): void {
    const now = this.now()
    for (const e of this.entries.values()) {
      if (e.expiresAt > now && this.bytes <= this.maxBytes) break
      this.remove(e.key)
    }
  }
}
