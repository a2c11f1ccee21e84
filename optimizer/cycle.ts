import type { RoutingDecisionInput } from '../collector/client.ts'
import { Beliefs, type QualityChange } from './beliefs.ts'
import type { OptimizerSettings } from './config.ts'
import { toEvidence, type WindowEvidence } from './evidence.ts'
import { TargetHealth, type HealthChange } from './health.ts'
import type { ListedPrice, PriceList } from './prices.ts'
import type { RoutingTablePusher } from './pusher.ts'
import type { Rng } from './random.ts'
import type { DecisionRecorder } from './recorder.ts'
import { RollbackGuard } from './rollback.ts'
import { describeObjective, EXPLORATION, stepRoute, type RouteStep } from './route-step.ts'
import { msToNs, type RouteStatsSource } from './stats-source.ts'
import { leaderOf, rounded, type Weights } from './weights.ts'

export interface CycleDeps {
  stats: RouteStatsSource
  table: RoutingTablePusher
  recorder: DecisionRecorder
  /** Milliseconds since the epoch: wall clock live, simulated in a replay. */
  clock: () => number
  rng: Rng
  /** The gateway's list prices (read every cycle); without them costs are learned from the spans alone. */
  prices?: PriceList
}

export interface CycleResult {
  cycle: number
  window: { fromMs: number; toMs: number }
  steps: RouteStep[]
  health: HealthChange[]
  /** Quality changes detected this cycle (route null: the target changed on every route). */
  qualityChanges: QualityChange[]
  /** New table version, or undefined when nothing was pushed (no change, or dry run). */
  pushedVersion: string | undefined
  decisions: RoutingDecisionInput[]
  /** Targets whose list price moved since the last cycle, with the ratio. */
  repriced: { target: string; ratio: number }[]
  /** Why the price list could not be read this cycle (the last one read still holds). */
  pricesError?: string
}

/**
 * The optimizer's cycle: read the window's stats → update beliefs and target health → new weights
 * per route → push one new table version → record a decision per route that changed or hit a guardrail.
 * The same object runs live (collector + gateway) and in the replay (memory source + memory table).
 */
export class OptimizerCycle {
  private readonly beliefs: Beliefs
  private readonly health: TargetHealth
  private readonly rollback: RollbackGuard
  private cycle = 0
  private lastMs: number

  constructor(
    private readonly settings: OptimizerSettings,
    private readonly deps: CycleDeps,
  ) {
    this.beliefs = new Beliefs(settings.learner)
    this.health = new TargetHealth(settings.guardrails.drain)
    this.rollback = new RollbackGuard(settings.guardrails.rollback)
    this.lastMs = deps.clock() - Math.max(settings.intervalSeconds, settings.bootstrapSeconds) * 1000
  }

  async run(): Promise<CycleResult> {
    const toMs = this.deps.clock() - this.settings.ingestLagSeconds * 1000
    const window = { fromMs: this.lastMs, toMs: Math.max(this.lastMs, toMs) }
    const [stats, prices] = await Promise.all([
      this.deps.stats.read(window, { score: this.settings.score }),
      this.readPrices(),
    ])
    this.lastMs = window.toMs
    this.cycle += 1
    // Target '' holds the route-level errors (every target failed): no evidence about any one target.
    const evidence = stats.filter((s) => s.target !== '').map((s) => toEvidence(s, this.settings.score))
    // Before the window is learned: its requests were billed at the new prices.
    const repriced = prices.list ? this.beliefs.reprice(prices.list) : []
    const qualityChanges = this.beliefs.update(evidence)
    const health = this.health.update(evidence, this.cycle)

    const table = await this.deps.table.read()
    this.beliefs.holdDrops(qualityChanges, (route) => leaderOf(table.routes[route]))
    const wanted = this.settings.routes.length
      ? this.settings.routes.filter((r) => table.routes[r])
      : Object.keys(table.routes)
    const steps: RouteStep[] = []
    const notable = new Set<string>()
    for (const route of wanted) {
      const oldWeights = table.routes[route]!
      const targets = Object.keys(oldWeights)
      if (targets.length < 2) continue
      const verdict = this.rollback.observe(route, evidence, this.cycle)
      const step = stepRoute({
        route,
        targets,
        oldWeights,
        beliefs: this.beliefs,
        health: this.health,
        verdict,
        inCooldown: this.rollback.inCooldown(route, this.cycle),
        changedTargets: new Set(
          qualityChanges.filter((c) => (c.route === null || c.route === route) && c.to < c.from).map((c) => c.target),
        ),
        objective: this.settings.routeObjectives[route] ?? this.settings.objective,
        learner: this.settings.learner,
        guardrails: this.settings.guardrails,
        rng: this.deps.rng,
      })
      if (step.released) this.beliefs.clearSuspect(route, step.released)
      if (verdict.kind === 'passed') step.constraints.push(verdict.reason)
      for (const p of repriced) {
        if (oldWeights[p.target] === undefined) continue
        step.constraints.push(`list price of ${p.target} × ${p.ratio.toFixed(3)}: its cost estimate moved with it`)
        notable.add(route)
      }
      for (const c of qualityChanges) {
        if ((c.route !== null && c.route !== route) || oldWeights[c.target] === undefined) continue
        step.constraints.push(
          `quality change detected for ${c.target}${c.route ? '' : ' on every route'}: ${c.from.toFixed(3)} → ${c.to.toFixed(3)}; older evidence dropped`,
        )
        notable.add(route)
      }
      step.newWeights = step.changed ? rounded(step.newWeights) : step.oldWeights
      if (verdict.kind !== 'none') notable.add(route)
      // A move that buys observations is bounded (learner.exploreMaxWeight) and ends by itself once
      // they disagree: it is not judged as a regression, and the change it replaces no longer can be.
      if (step.changed && step.constraints.includes(EXPLORATION)) this.rollback.cancel(route)
      else if (step.changed && verdict.kind !== 'rollback') {
        const predicted = Object.fromEntries(
          step.posteriors.map((p) => [p.target, { mean: p.qualityMean, sd: p.qualitySd }]),
        )
        this.rollback.watch(route, this.cycle, step.oldWeights, step.newWeights, predicted)
      }
      steps.push(step)
    }

    const changed = steps.filter((s) => s.changed)
    let pushedVersion: string | undefined
    if (changed.length && !this.settings.dryRun) {
      const weights: Record<string, Weights> = Object.fromEntries(changed.map((s) => [s.route, s.newWeights]))
      const reason =
        changed.length === 1
          ? `${changed[0]!.route}: ${changed[0]!.reason}`
          : `optimizer cycle ${this.cycle}: ${changed.length} routes reweighted`
      pushedVersion = (await this.deps.table.push(weights, { expectedVersion: table.version, reason })).version
    }
    const decisions = steps
      .filter((s) => s.changed || notable.has(s.route) || health.some((h) => s.oldWeights[h.target] !== undefined))
      .map((s) => this.decision(s, table.version, pushedVersion, window, evidence, health))
    if (decisions.length) await this.deps.recorder.record(decisions)
    return {
      cycle: this.cycle,
      window,
      steps,
      health,
      qualityChanges,
      pushedVersion,
      decisions,
      repriced,
      ...(prices.error ? { pricesError: prices.error } : {}),
    }
  }

  /** A price list that cannot be read does not stop the cycle: costs keep being learned from the spans. */
  private async readPrices(): Promise<{ list?: ReadonlyMap<string, ListedPrice>; error?: string }> {
    if (!this.deps.prices) return {}
    try {
      return { list: await this.deps.prices.read() }
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) }
    }
  }

  private decision(
    s: RouteStep,
    fromVersion: string,
    pushed: string | undefined,
    window: { fromMs: number; toMs: number },
    evidence: WindowEvidence[],
    health: HealthChange[],
  ): RoutingDecisionInput {
    const applied = s.changed && pushed !== undefined
    const events = health
      .filter((h) => s.oldWeights[h.target] !== undefined)
      .map((h) => `${h.target} ${h.event} (${h.reason})`)
    const prefix = this.settings.dryRun ? 'dry run — ' : s.changed ? '' : 'no change — '
    return {
      created_at_ns: msToNs(this.deps.clock()),
      route: s.route,
      from_version: fromVersion,
      to_version: applied ? pushed : fromVersion,
      old_weights: s.oldWeights,
      new_weights: s.newWeights,
      applied,
      dry_run: this.settings.dryRun,
      reason: prefix + s.reason + (events.length ? `; ${events.join('; ')}` : ''),
      inputs: {
        cycle: this.cycle,
        window_from_ns: msToNs(window.fromMs),
        window_to_ns: msToNs(window.toMs),
        objective: describeObjective(this.settings.routeObjectives[s.route] ?? this.settings.objective),
        stats: evidence.filter((e) => e.route === s.route),
        posteriors: s.posteriors,
        constraints: s.constraints,
      },
    }
  }
}
