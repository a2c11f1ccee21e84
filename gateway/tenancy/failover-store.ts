import type { Logger } from 'pino'
import { hasLimit, refusal, type Ask, type Hold, type LimitSpec, type LimitStore, type Refusal } from './limits.ts'
import type { MemoryLimitStore } from './memory-store.ts'
import { DAY_TTL_MS, MONTH_TTL_MS, type RedisLimitStore } from './redis-store.ts'

export type FailureMode = 'local' | 'deny'

/**
 * Redis first; when Redis cannot answer (the connection fails commands at once and times out the
 * rest), `local` carries on with this process's own counters and `deny` refuses with 503. The local
 * counters mirror every hold and settlement, and are raised to the spend Redis last reported, so
 * they do not start from zero. While degraded, Redis is probed in the background instead of per
 * request; when it answers, what was settled meanwhile is added to it (and its counters raised to
 * what this replica knows, should Redis have restarted empty) before it is used again.
 * One warning per episode, one info line when it ends.
 */
export class FailoverLimitStore implements LimitStore {
  private degradedSince: number | undefined
  private probe: NodeJS.Timeout | undefined
  private probing = false
  /** Redis key → amount still to add to it once Redis answers again. */
  private readonly pending = new Map<string, { delta: bigint; ttlMs: number }>()
  private servedLocally = 0
  /** The episode began at start, where the gateway reported it: it ends as quietly. */
  private quiet = false

  constructor(
    private readonly redis: RedisLimitStore,
    private readonly local: MemoryLimitStore,
    private readonly mode: FailureMode,
    private readonly probeMs: number,
    private readonly logger: Logger,
    private readonly count: (reason: 'limits_unavailable' | 'limits_local_fallback') => void,
  ) {}

  get degraded(): boolean {
    return this.degradedSince !== undefined
  }

  admit(specs: LimitSpec[], ask: Ask, now: number): Refusal | Hold | Promise<Refusal | Hold> {
    if (this.degraded) return this.withoutRedis(specs, ask, now)
    return this.redis.grant(specs, ask, now).then(
      (r) => {
        if ('hold' in r) {
          specs.forEach((s, i) =>
            this.local.raise(s.scope, r.hold.day, r.settled[i]![0], r.hold.month, r.settled[i]![1], now),
          )
          this.local.track(specs, ask, now, false)
          return r.hold
        }
        return r
      },
      (err: Error) => {
        this.down(err)
        return this.withoutRedis(specs, ask, now)
      },
    )
  }

  private withoutRedis(specs: LimitSpec[], ask: Ask, now: number): Refusal | Hold {
    const limited = specs.find(hasLimit)
    // Scopes without any limit only count spend: "deny" refuses what has a limit to keep, nothing else.
    if (this.mode === 'deny' && limited) {
      this.count('limits_unavailable')
      return refusal('unavailable', limited, now)
    }
    this.count('limits_local_fallback')
    this.servedLocally++
    return this.local.admit(specs, ask, now)
  }

  settle(hold: Hold, tokens: number, costUnits: bigint): void | Promise<void> {
    this.local.settle(hold, tokens, costUnits)
    if (hold.local) {
      // Redis never saw this hold: only the spend is owed to it.
      this.owe(hold, costUnits, 0n)
      return
    }
    if (this.degraded) {
      this.owe(hold, costUnits, -hold.units)
      return
    }
    return this.redis.settle(hold, tokens, costUnits).catch((err: Error) => {
      this.down(err)
      this.owe(hold, costUnits, -hold.units)
    })
  }

  private owe(hold: Hold, cost: bigint, held: bigint): void {
    for (const s of hold.specs) {
      const k = this.redis.keys(s.scope, hold.minute, hold.day, hold.month)
      this.add(k.day, cost, DAY_TTL_MS)
      this.add(k.month, cost, MONTH_TTL_MS)
      this.add(k.dayHeld, held, DAY_TTL_MS)
      this.add(k.monthHeld, held, MONTH_TTL_MS)
    }
  }

  private add(key: string, delta: bigint, ttlMs: number): void {
    if (delta === 0n) return
    const p = this.pending.get(key)
    if (p) p.delta += delta
    else this.pending.set(key, { delta, ttlMs })
  }

  /** Redis was unreachable at start: degraded from the first request, without a warning of its own. */
  startDegraded(): void {
    this.quiet = true
    this.enterDegraded()
  }

  private enterDegraded(): void {
    this.degradedSince = Date.now()
    this.servedLocally = 0
    this.probe = setInterval(() => void this.tryRecover(), this.probeMs)
    this.probe.unref()
  }

  private down(err: Error): void {
    if (this.degraded) return
    this.enterDegraded()
    this.quiet = false
    this.logger.warn(
      { err: err.message, failureMode: this.mode },
      this.mode === 'deny'
        ? 'limits: Redis unreachable; failureMode "deny" refuses requests of tenants with limits (503) until it answers again'
        : "limits: Redis unreachable; enforcing budgets and rate limits on this process's own counters until it answers again",
    )
  }

  private async tryRecover(): Promise<void> {
    if (this.probing) return
    this.probing = true
    try {
      await this.redis.ping()
      // Settlements keep arriving while HEAL runs; they stay pending for the next round.
      for (let round = 0; round < 5 && (round === 0 || this.pending.size); round++) {
        const entries = this.healEntries(round === 0)
        await this.redis.heal(entries)
        for (const e of entries) {
          const p = this.pending.get(e.key)
          if (!p) continue
          p.delta -= e.delta
          if (p.delta === 0n) this.pending.delete(e.key)
        }
      }
      if (this.pending.size) return
      if (!this.quiet)
        this.logger.info(
          { downMs: Date.now() - this.degradedSince!, servedLocally: this.servedLocally },
          'limits: Redis answers again; budgets and rate limits are shared again',
        )
      clearInterval(this.probe)
      this.probe = undefined
      this.degradedSince = undefined
    } catch {
      // still down: the next probe tries again
    } finally {
      this.probing = false
    }
  }

  /**
   * What is owed to Redis, plus (first round) a floor for every settled counter this process knows:
   * a Redis that restarted empty gets back at least this replica's view instead of zero.
   */
  private healEntries(withFloors: boolean): { key: string; delta: bigint; floor: bigint | undefined; ttlMs: number }[] {
    const entries = new Map<string, { key: string; delta: bigint; floor: bigint | undefined; ttlMs: number }>()
    for (const [key, p] of this.pending) entries.set(key, { key, delta: p.delta, floor: undefined, ttlMs: p.ttlMs })
    if (withFloors) {
      for (const c of this.local.snapshot()) {
        const k = this.redis.keys(c.scope, 0, c.day, c.month)
        const floor = (key: string, units: bigint, ttlMs: number) => {
          if (units <= 0n) return
          const e = entries.get(key)
          if (e) e.floor = units
          else entries.set(key, { key, delta: 0n, floor: units, ttlMs })
        }
        floor(k.day, c.dayUnits, DAY_TTL_MS)
        floor(k.month, c.monthUnits, MONTH_TTL_MS)
      }
    }
    return [...entries.values()]
  }

  async spent(scope: string, now: number): Promise<{ day: bigint; month: bigint }> {
    if (!this.degraded) {
      try {
        return await this.redis.spent(scope, now)
      } catch (err) {
        this.down(err as Error)
      }
    }
    return this.local.spent(scope, now)
  }

  gauges(): Record<string, number> {
    return { loopgate_gateway_limits_store_degraded: this.degraded ? 1 : 0 }
  }

  async close(): Promise<void> {
    if (this.probe) clearInterval(this.probe)
    await this.redis.close()
    await this.local.close()
  }
}
