import type { GuardrailSettings } from './config.ts'
import type { WindowEvidence } from './evidence.ts'

interface TargetWindow {
  requests: number
  errors: number
  latencyP95Ms: number | null
}

interface DrainState {
  sinceCycle: number
  reason: string
  probeRequests: number
  probeErrors: number
}

export interface HealthChange {
  target: string
  event: 'drained' | 'readmitted'
  reason: string
}

/**
 * Drain and re-admission of targets. A target is a provider endpoint, so its health is judged on
 * its traffic pooled over every route: a breach drains it on all routes at once (to a probe
 * weight), and enough healthy probe traffic re-admits it.
 */
export class TargetHealth {
  private readonly drained = new Map<string, DrainState>()

  constructor(private readonly settings: GuardrailSettings['drain']) {}

  isDrained(target: string): boolean {
    return this.drained.has(target)
  }

  drainReason(target: string): string | undefined {
    return this.drained.get(target)?.reason
  }

  update(window: readonly WindowEvidence[], cycle: number): HealthChange[] {
    const pooled = new Map<string, TargetWindow>()
    for (const ev of window) {
      const p = pooled.get(ev.target) ?? { requests: 0, errors: 0, latencyP95Ms: null }
      p.requests += ev.requests
      p.errors += ev.errors
      // The worst route's p95 stands for the target: a slow endpoint is slow everywhere.
      if (ev.latencyP95Ms !== null) p.latencyP95Ms = Math.max(p.latencyP95Ms ?? 0, ev.latencyP95Ms)
      pooled.set(ev.target, p)
    }
    const changes: HealthChange[] = []
    for (const [target, w] of pooled) {
      const breach = this.breach(w)
      const state = this.drained.get(target)
      if (breach) {
        if (!state) changes.push({ target, event: 'drained', reason: breach })
        this.drained.set(target, {
          sinceCycle: state?.sinceCycle ?? cycle,
          reason: breach,
          probeRequests: 0,
          probeErrors: 0,
        })
        continue
      }
      if (!state) continue
      state.probeRequests += w.requests
      state.probeErrors += w.errors
      const rate = state.probeErrors / Math.max(1, state.probeRequests)
      if (state.probeRequests < this.settings.recoveryRequests) continue
      if (rate < this.settings.maxErrorRate / 2) {
        this.drained.delete(target)
        changes.push({
          target,
          event: 'readmitted',
          reason: `${state.probeRequests} probe requests since the breach, error rate ${(rate * 100).toFixed(1)}%`,
        })
      } else {
        // A failed batch of probes: judge the next batch on its own, so recovery is not diluted by old failures.
        state.probeRequests = 0
        state.probeErrors = 0
      }
    }
    return changes
  }

  private breach(w: TargetWindow): string | undefined {
    const s = this.settings
    if (w.requests < s.minRequests) return undefined
    const rate = w.errors / w.requests
    if (rate >= s.maxErrorRate)
      return `error rate ${(rate * 100).toFixed(1)}% over ${w.requests} requests (limit ${(s.maxErrorRate * 100).toFixed(0)}%)`
    if (s.maxLatencyP95Ms !== undefined && w.latencyP95Ms !== null && w.latencyP95Ms > s.maxLatencyP95Ms) {
      return `p95 latency ${Math.round(w.latencyP95Ms)} ms (limit ${s.maxLatencyP95Ms} ms)`
    }
    return undefined
  }
}
