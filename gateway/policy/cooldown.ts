/** Why and until when a target is out of rotation. */
export interface CooldownState {
  until: number
  reason: string
}

/**
 * Per-target cooldowns after a 429: the target leaves rotation until its Retry-After (or the
 * route's default) has passed. Unlike a breaker, one 429 is enough and no trial is needed: the
 * provider said when to come back. Per process, like the breakers.
 */
export class Cooldowns {
  private readonly entries = new Map<string, CooldownState>()

  constructor(private readonly now: () => number = Date.now) {}

  /** Cools the target for `ms` from now; a longer cooldown already running is kept. */
  coolDown(id: string, ms: number, reason: string): void {
    const until = this.now() + ms
    const e = this.entries.get(id)
    if (!e || e.until < until) this.entries.set(id, { until, reason })
  }

  /** Milliseconds until the target is back in rotation; 0 when it is not cooling. */
  remainingMs(id: string): number {
    const e = this.entries.get(id)
    if (!e) return 0
    const left = e.until - this.now()
    if (left > 0) return left
    this.entries.delete(id)
    return 0
  }

  state(id: string): CooldownState | undefined {
    return this.remainingMs(id) > 0 ? this.entries.get(id) : undefined
  }
}
