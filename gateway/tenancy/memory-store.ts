import {
  budgetRefusal,
  dayOf,
  fits,
  minuteOf,
  monthOf,
  refusal,
  type Ask,
  type Hold,
  type LimitSpec,
  type LimitStore,
  type Refusal,
} from './limits.ts'

interface Counters {
  minute: number
  requests: number
  /** Tokens of this minute, reservations included. */
  tokens: number
  day: string
  /** Settled spend of the day. */
  dayUnits: bigint
  /** Reservations of requests in flight, taken this day. */
  dayHeld: bigint
  month: string
  monthUnits: bigint
  monthHeld: bigint
}

/** Where settled spend is made durable (the journal); called synchronously, so it must only buffer. */
export interface SpendSink {
  record(specs: LimitSpec[], day: string, month: string, units: bigint): void
  close?(): Promise<void>
}

/**
 * One process's counters (no Redis, or Redis unreachable): windows roll over as time passes.
 * Synchronous, so check-and-reserve is atomic: no other request runs between the check and the hold.
 */
export class MemoryLimitStore implements LimitStore {
  private readonly counters = new Map<string, Counters>()

  constructor(private readonly sink?: SpendSink) {}

  private get(scope: string, now: number): Counters {
    const minute = minuteOf(now)
    let c = this.counters.get(scope)
    if (!c) {
      c = {
        minute,
        requests: 0,
        tokens: 0,
        day: dayOf(now),
        dayUnits: 0n,
        dayHeld: 0n,
        month: monthOf(now),
        monthUnits: 0n,
        monthHeld: 0n,
      }
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
        c.dayHeld = 0n
      }
      const month = monthOf(now)
      if (c.month !== month) {
        c.month = month
        c.monthUnits = 0n
        c.monthHeld = 0n
      }
    }
    return c
  }

  admit(specs: LimitSpec[], ask: Ask, now: number): Refusal | Hold {
    for (const s of specs) {
      const c = this.get(s.scope, now)
      if (s.rpm !== undefined && c.requests >= s.rpm) return refusal('rpm', s, now)
      if (s.tpm !== undefined && c.tokens >= s.tpm) return refusal('tpm', s, now)
      if (s.usdPerDay !== undefined && !fits(c.dayUnits + c.dayHeld, ask.units, s.usdPerDay))
        return budgetRefusal('usd_per_day', s, c.dayUnits + c.dayHeld, ask.units, now)
      if (s.usdPerMonth !== undefined && !fits(c.monthUnits + c.monthHeld, ask.units, s.usdPerMonth))
        return budgetRefusal('usd_per_month', s, c.monthUnits + c.monthHeld, ask.units, now)
    }
    return this.track(specs, ask, now, true)
  }

  /** Counts a hold granted elsewhere (by Redis), so these counters can carry on if Redis goes away. */
  track(specs: LimitSpec[], ask: Ask, now: number, local: boolean): Hold {
    for (const s of specs) {
      const c = this.get(s.scope, now)
      c.requests++
      c.tokens += ask.tokens
      c.dayHeld += ask.units
      c.monthHeld += ask.units
    }
    return {
      specs,
      units: ask.units,
      tokens: ask.tokens,
      minute: minuteOf(now),
      day: dayOf(now),
      month: monthOf(now),
      local,
    }
  }

  /** The hold is replaced by the real figures, in the windows it was taken in (a window gone by is left alone). */
  settle(hold: Hold, tokens: number, costUnits: bigint): void {
    const now = Date.now()
    for (const s of hold.specs) {
      const c = this.get(s.scope, now)
      if (c.minute === hold.minute) c.tokens += tokens - hold.tokens
      if (c.day === hold.day) {
        c.dayHeld -= hold.units
        c.dayUnits += costUnits
      }
      if (c.month === hold.month) {
        c.monthHeld -= hold.units
        c.monthUnits += costUnits
      }
    }
    if (costUnits > 0n) this.sink?.record(hold.specs, hold.day, hold.month, costUnits)
  }

  /** Raises settled spend to at least what another source (the journal, Redis) knows for these periods. */
  raise(scope: string, day: string, dayUnits: bigint, month: string, monthUnits: bigint, now = Date.now()): void {
    const c = this.get(scope, now)
    if (c.day === day && dayUnits > c.dayUnits) c.dayUnits = dayUnits
    if (c.month === month && monthUnits > c.monthUnits) c.monthUnits = monthUnits
  }

  /** Settled spend of every scope in its current periods (the journal's compaction). */
  snapshot(): { scope: string; day: string; dayUnits: bigint; month: string; monthUnits: bigint }[] {
    return [...this.counters].map(([scope, c]) => ({
      scope,
      day: c.day,
      dayUnits: c.dayUnits,
      month: c.month,
      monthUnits: c.monthUnits,
    }))
  }

  async spent(scope: string, now: number): Promise<{ day: bigint; month: bigint }> {
    const c = this.get(scope, now)
    return { day: c.dayUnits, month: c.monthUnits }
  }

  async close(): Promise<void> {
    await this.sink?.close?.()
  }
}
