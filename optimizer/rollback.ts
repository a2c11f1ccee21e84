import type { GuardrailSettings } from './config.ts'
import type { WindowEvidence } from './evidence.ts'
import type { Weights } from './weights.ts'

interface PendingCheck {
  startCycle: number
  oldWeights: Weights
  newWeights: Weights
  /** Posterior mean quality per target when the change was made. */
  predicted: Record<string, number>
  after: Record<string, { count: number; sum: number; sumSq: number }>
}

export type RollbackVerdict =
  | { kind: 'none' }
  | { kind: 'passed'; reason: string }
  | { kind: 'rollback'; weights: Weights; reason: string }

const MIN_TARGET_SAMPLES = 3

/**
 * Rollback when quality drops after a change: the realized effect of the move (weights shifted ×
 * quality measured after the change) must not fall short of the effect the learner predicted by more
 * than `tolerance` — and by more than 3 standard errors. A drop that hits every target alike
 * (drift, not the change) is not the change's fault and does not roll back.
 */
export class RollbackGuard {
  private readonly pending = new Map<string, PendingCheck>()
  private readonly cooldownUntil = new Map<string, number>()

  constructor(private readonly settings: GuardrailSettings['rollback']) {}

  inCooldown(route: string, cycle: number): boolean {
    return (this.cooldownUntil.get(route) ?? -1) > cycle
  }

  /** Starts watching an applied change (if large enough and none is being watched). */
  watch(route: string, cycle: number, oldWeights: Weights, newWeights: Weights, predicted: Record<string, number>): void {
    if (!this.settings.enabled || this.pending.has(route)) return
    const keys = new Set([...Object.keys(oldWeights), ...Object.keys(newWeights)])
    let change = 0
    for (const k of keys) change += Math.abs((newWeights[k] ?? 0) - (oldWeights[k] ?? 0))
    if (change < this.settings.minChange) return
    this.pending.set(route, { startCycle: cycle, oldWeights, newWeights, predicted, after: {} })
  }

  /** Feeds the route's window evidence (collected after the change) and judges when enough is in. */
  observe(route: string, window: readonly WindowEvidence[], cycle: number): RollbackVerdict {
    const p = this.pending.get(route)
    if (!p) return { kind: 'none' }
    let total = 0
    for (const ev of window) {
      if (ev.route !== route || ev.qualityCount === 0) continue
      const a = (p.after[ev.target] ??= { count: 0, sum: 0, sumSq: 0 })
      a.count += ev.qualityCount
      a.sum += ev.qualitySum
      a.sumSq += ev.qualitySumSq
    }
    for (const a of Object.values(p.after)) total += a.count
    if (total < this.settings.minSamples) {
      if (cycle - p.startCycle > this.settings.maxCycles) this.pending.delete(route)
      return { kind: 'none' }
    }
    this.pending.delete(route)
    let predicted = 0
    let realized = 0
    let variance = 0
    for (const target of Object.keys(p.predicted)) {
      const dw = (p.newWeights[target] ?? 0) - (p.oldWeights[target] ?? 0)
      const a = p.after[target]
      const measured = a && a.count >= MIN_TARGET_SAMPLES
      const q = measured ? a.sum / a.count : p.predicted[target]!
      predicted += dw * p.predicted[target]!
      realized += dw * q
      if (measured) variance += (dw * dw * Math.max(1e-4, a.sumSq / a.count - q * q)) / a.count
    }
    const shortfall = predicted - realized
    const se = Math.sqrt(variance)
    const words = `the change predicted ${fmt(predicted)} quality, measured ${fmt(realized)} over ${total} scored requests`
    if (shortfall > this.settings.tolerance && shortfall > 3 * se) {
      this.cooldownUntil.set(route, cycle + this.settings.cooldownCycles)
      return { kind: 'rollback', weights: p.oldWeights, reason: `rolled back: ${words} (shortfall ${shortfall.toFixed(3)} > tolerance ${this.settings.tolerance})` }
    }
    return { kind: 'passed', reason: `change confirmed: ${words}` }
  }
}

const fmt = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(3)
