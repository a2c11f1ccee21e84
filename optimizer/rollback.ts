import type { GuardrailSettings } from './config.ts'
import type { WindowEvidence } from './evidence.ts'
import type { Weights } from './weights.ts'

/** The learner's posterior of a target's quality when the change was made. */
export interface Prediction {
  mean: number
  sd: number
}

interface PendingCheck {
  startCycle: number
  oldWeights: Weights
  newWeights: Weights
  predicted: Record<string, Prediction>
  after: Record<string, { count: number; sum: number; sumSq: number; boolean: boolean }>
}

export type RollbackVerdict =
  { kind: 'none' } | { kind: 'passed'; reason: string } | { kind: 'rollback'; weights: Weights; reason: string }

const MIN_TARGET_SAMPLES = 3
const MIN_VARIANCE = 1e-4

/**
 * Rollback when quality drops after a change: the realized effect of the move (weights shifted ×
 * quality measured after the change) must not fall short of the effect the learner predicted by more
 * than `tolerance` — and by more than 3 standard errors. A drop that hits every target alike
 * (drift, not the change) is not the change's fault and does not roll back.
 *
 * The standard error counts both sides of the comparison. The prediction is uncertain (the
 * posterior's sd): the learner moves weight towards targets whose posterior looks high, so where the
 * posterior is wide the measured quality falls short of it by chance, and that is not a regression
 * (the winner's curse). And the measurement's variance is the variance the prediction implies (for
 * boolean scores m·(1 − m)), not that of the few scores measured: three successes in a row do not
 * make a target's quality certain.
 */
export class RollbackGuard {
  private readonly pending = new Map<string, PendingCheck>()
  private readonly cooldownUntil = new Map<string, number>()

  constructor(private readonly settings: GuardrailSettings['rollback']) {}

  inCooldown(route: string, cycle: number): boolean {
    return (this.cooldownUntil.get(route) ?? -1) > cycle
  }

  /** Starts watching an applied change (if large enough and none is being watched). */
  watch(
    route: string,
    cycle: number,
    oldWeights: Weights,
    newWeights: Weights,
    predicted: Record<string, Prediction>,
  ): void {
    if (!this.settings.enabled || this.pending.has(route)) return
    const keys = new Set([...Object.keys(oldWeights), ...Object.keys(newWeights)])
    let change = 0
    for (const k of keys) change += Math.abs((newWeights[k] ?? 0) - (oldWeights[k] ?? 0))
    if (change < this.settings.minChange) return
    this.pending.set(route, { startCycle: cycle, oldWeights, newWeights, predicted, after: {} })
  }

  /** Drops the route's pending check: the weights it would judge are no longer served (deliberate exploration replaced them). */
  cancel(route: string): void {
    this.pending.delete(route)
  }

  /** Feeds the route's window evidence (collected after the change) and judges when enough is in. */
  observe(route: string, window: readonly WindowEvidence[], cycle: number): RollbackVerdict {
    const p = this.pending.get(route)
    if (!p) return { kind: 'none' }
    let total = 0
    for (const ev of window) {
      if (ev.route !== route || ev.qualityCount === 0) continue
      const a = (p.after[ev.target] ??= { count: 0, sum: 0, sumSq: 0, boolean: true })
      a.count += ev.qualityCount
      a.sum += ev.qualitySum
      a.sumSq += ev.qualitySumSq
      a.boolean &&= ev.qualityBoolean
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
    for (const [target, prediction] of Object.entries(p.predicted)) {
      const dw = (p.newWeights[target] ?? 0) - (p.oldWeights[target] ?? 0)
      const a = p.after[target]
      const measured = a !== undefined && a.count >= MIN_TARGET_SAMPLES
      const m = prediction.mean
      const q = measured ? a.sum / a.count : m
      predicted += dw * m
      realized += dw * q
      if (!measured) continue
      const scoreVariance = a.boolean ? m * (1 - m) : a.sumSq / a.count - q * q
      variance += dw * dw * (Math.max(MIN_VARIANCE, scoreVariance) / a.count + prediction.sd ** 2)
    }
    const shortfall = predicted - realized
    const se = Math.sqrt(variance)
    const words = `the change predicted ${fmt(predicted)} quality, measured ${fmt(realized)} over ${total} scored requests`
    if (shortfall > this.settings.tolerance && shortfall > 3 * se) {
      this.cooldownUntil.set(route, cycle + this.settings.cooldownCycles)
      return {
        kind: 'rollback',
        weights: p.oldWeights,
        reason: `rolled back: ${words} (shortfall ${shortfall.toFixed(3)} > tolerance ${this.settings.tolerance})`,
      }
    }
    return { kind: 'passed', reason: `change confirmed: ${words}` }
  }
}

const fmt = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(3)
