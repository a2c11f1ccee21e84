import type { AdminTargetPrice } from '../lib/admin-api.ts'
import { unitsToUsd } from '../lib/money.ts'
import { perMtokUsd, type Prices, type Rate } from '../lib/pricing.ts'
import type { Breakers } from './policy/breaker.ts'
import type { Cooldowns } from './policy/cooldown.ts'
import type { RoutingSnapshot } from './routing/table.ts'

const WINDOW = 256

interface TargetStats {
  attempts: number
  failures: number
  /** Outcomes and latencies of the last WINDOW attempts (ring buffers). */
  recentOk: Uint8Array
  recentMs: Float64Array
  next: number
  filled: number
  lastError: { at: string; message: string } | undefined
}

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/** Live per-target health: what `/admin/targets` shows. */
export class Scoreboard {
  private readonly stats = new Map<string, TargetStats>()

  record(targetId: string, ok: boolean, latencyMs: number, error?: string): void {
    let s = this.stats.get(targetId)
    if (!s) {
      s = {
        attempts: 0,
        failures: 0,
        recentOk: new Uint8Array(WINDOW),
        recentMs: new Float64Array(WINDOW),
        next: 0,
        filled: 0,
        lastError: undefined,
      }
      this.stats.set(targetId, s)
    }
    s.attempts++
    if (!ok) {
      s.failures++
      s.lastError = { at: new Date().toISOString(), message: error ?? 'failed' }
    }
    s.recentOk[s.next] = ok ? 1 : 0
    s.recentMs[s.next] = latencyMs
    s.next = (s.next + 1) % WINDOW
    s.filled = Math.min(WINDOW, s.filled + 1)
  }

  report(snapshot: RoutingSnapshot, breakers: Breakers, cooldowns: Cooldowns) {
    const seen = new Map<
      string,
      { provider: string; model: string; routes: string[]; price: unknown; priceSource: string }
    >()
    for (const route of snapshot.byName.values()) {
      for (const t of [...route.targets, ...route.rules.flatMap((r) => r.targets)]) {
        const entry = seen.get(t.id) ?? {
          provider: t.provider.name,
          model: t.model,
          routes: [],
          priceSource: t.priceSource,
          price: t.price && perMTok(t.price.at(Date.now())),
        }
        if (!entry.routes.includes(route.name)) entry.routes.push(route.name)
        seen.set(t.id, entry)
      }
    }
    return [...seen].map(([id, info]) => {
      const s = this.stats.get(id)
      const n = s?.filled ?? 0
      const oks = s ? s.recentOk.slice(0, n).reduce((a, v) => a + v, 0) : 0
      const latencies = s ? Array.from(s.recentMs.slice(0, n)).sort((a, b) => a - b) : []
      const cooling = cooldowns.state(id)
      return {
        id,
        ...info,
        breaker: breakers.state(id),
        /** Out of rotation after a 429 until `until` (ISO); null when not cooling. */
        cooldown: cooling
          ? {
              until: new Date(cooling.until).toISOString(),
              remainingMs: cooling.until - Date.now(),
              reason: cooling.reason,
            }
          : null,
        attempts: s?.attempts ?? 0,
        failures: s?.failures ?? 0,
        window: n,
        errorRate: n ? (n - oks) / n : null,
        availability: n ? oks / n : null,
        latencyMs: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), p99: quantile(latencies, 0.99) },
        lastError: s?.lastError ?? null,
      }
    })
  }
}

/** Base rates in USD per million tokens (tiers apply above a total input; cache tokens without a rate are charged as input). */
function perMTok(p: Prices): AdminTargetPrice {
  const usd = (r: Rate | undefined) => (r ? unitsToUsd(perMtokUsd(r)) : undefined)
  return {
    inputPerMTok: usd(p.input),
    outputPerMTok: usd(p.output),
    cacheReadPerMTok: usd(p.cacheRead ?? p.input),
    cacheWritePerMTok: usd(p.cacheWrite ?? p.input),
  }
}
