import { dayOf, minuteOf, monthOf, refusal, type LimitSpec, type LimitStore, type Refusal } from './limits.ts'

interface Counters {
  minute: number
  requests: number
  tokens: number
  day: string
  dayUnits: bigint
  month: string
  monthUnits: bigint
}

/** One process's counters (no Redis): windows roll over as time passes. Synchronous: no await on the hot path. */
export class MemoryLimitStore implements LimitStore {
  private readonly counters = new Map<string, Counters>()

  private get(scope: string, now: number): Counters {
    const minute = minuteOf(now)
    let c = this.counters.get(scope)
    if (!c) {
      c = { minute, requests: 0, tokens: 0, day: dayOf(now), dayUnits: 0n, month: monthOf(now), monthUnits: 0n }
      this.counters.set(scope, c)
    } else if (c.minute !== minute) {
      // Days and months begin on a minute: within the same minute they cannot have changed.
      c.minute = minute
      c.requests = 0
      c.tokens = 0
      const day = dayOf(now)
      if (c.day !== day) {
        c.day = day
        c.dayUnits = 0n
      }
      const month = monthOf(now)
      if (c.month !== month) {
        c.month = month
        c.monthUnits = 0n
      }
    }
    return c
  }

  admit(specs: LimitSpec[], now: number): Refusal | undefined {
    for (const s of specs) {
      const c = this.get(s.scope, now)
      if (s.rpm !== undefined && c.requests >= s.rpm) return refusal('rpm', s, now)
      if (s.tpm !== undefined && c.tokens >= s.tpm) return refusal('tpm', s, now)
      if (s.usdPerDay !== undefined && c.dayUnits >= s.usdPerDay) return refusal('usd_per_day', s, now)
      if (s.usdPerMonth !== undefined && c.monthUnits >= s.usdPerMonth) return refusal('usd_per_month', s, now)
    }
    for (const s of specs) this.get(s.scope, now).requests++
    return undefined
  }

  settle(specs: LimitSpec[], tokens: number, costUnits: bigint, now: number): void {
    for (const s of specs) {
      const c = this.get(s.scope, now)
      c.tokens += tokens
      c.dayUnits += costUnits
      c.monthUnits += costUnits
    }
  }

  async spent(scope: string, now: number): Promise<{ day: bigint; month: bigint }> {
    const c = this.get(scope, now)
    return { day: c.dayUnits, month: c.monthUnits }
  }

  async close(): Promise<void> {}
}
