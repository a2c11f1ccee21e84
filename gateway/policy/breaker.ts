export type BreakerState = 'closed' | 'open' | 'half_open'

interface Entry {
  failures: number
  openUntil: number
  /** A half-open breaker lets one trial request through at a time. */
  trialInFlight: boolean
}

/** Per-target circuit breakers: consecutive failures open it; after the cooldown one trial decides. */
export class Breakers {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly now: () => number = Date.now) {}

  state(id: string): BreakerState {
    const e = this.entries.get(id)
    if (!e || e.openUntil === 0) return 'closed'
    return this.now() < e.openUntil ? 'open' : 'half_open'
  }

  /** May a request go to this target now? Claims the trial slot of a half-open breaker. */
  tryAcquire(id: string): boolean {
    const e = this.entries.get(id)
    if (!e || e.openUntil === 0) return true
    if (this.now() < e.openUntil || e.trialInFlight) return false
    e.trialInFlight = true
    return true
  }

  /** Like tryAcquire, without claiming anything (for ordering). */
  isAvailable(id: string): boolean {
    const e = this.entries.get(id)
    return !e || e.openUntil === 0 || (this.now() >= e.openUntil && !e.trialInFlight)
  }

  success(id: string): void {
    const e = this.entries.get(id)
    if (e) this.entries.delete(id)
  }

  failure(id: string, threshold: number, cooldownMs: number): void {
    const e = this.entries.get(id) ?? { failures: 0, openUntil: 0, trialInFlight: false }
    e.failures++
    if (e.trialInFlight || e.failures >= threshold) e.openUntil = this.now() + cooldownMs
    e.trialInFlight = false
    this.entries.set(id, e)
  }

  /** The attempt ended without a verdict on the target (e.g. the client left): free the trial slot. */
  release(id: string): void {
    const e = this.entries.get(id)
    if (e) e.trialInFlight = false
  }
}
