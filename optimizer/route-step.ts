import type { Beliefs } from './beliefs.ts'
import type { GuardrailSettings, LearnerSettings, ObjectiveSettings } from './config.ts'
import type { TargetHealth } from './health.ts'
import { allocate } from './learner.ts'
import type { PosteriorSummary } from './types.ts'
import { bestIndex, constraintsHit } from './objective.ts'
import type { Rng } from './random.ts'
import type { RollbackVerdict } from './rollback.ts'
import { dominatedTargets, ruledOutByCost } from './dominance.ts'
import { explorationWeights } from './exploration.ts'
import { applyFloor, l1, limitStep, normalize, raiseTo, type Weights } from './weights.ts'

export interface RouteStepInput {
  route: string
  targets: readonly string[]
  oldWeights: Weights
  beliefs: Beliefs
  health: TargetHealth
  verdict: RollbackVerdict
  inCooldown: boolean
  /** Targets whose quality change was detected this cycle on this route or on every route (their old evidence was dropped). */
  changedTargets?: ReadonlySet<string>
  objective: ObjectiveSettings
  learner: LearnerSettings
  guardrails: GuardrailSettings
  rng: Rng
}

export interface RouteStep {
  route: string
  oldWeights: Weights
  newWeights: Weights
  changed: boolean
  posteriors: PosteriorSummary[]
  constraints: string[]
  reason: string
  /** A target held after a quality drop that leads again (RELEASE_CONFIDENCE): the caller ends its hold. */
  released: string | null
}

/**
 * P(best) at which a target held after a quality drop competes again. Leading at the means alone
 * released it too early: after GPT-4's answers drifted to Mixtral's (RouteLLM MMLU, 5 seeds), the
 * restarted GPT-4 — now a dearer copy — led sparse routes at the means wherever Mixtral's few own
 * scores ran low, and kept 27 of 255 routes for good; at 0.75, 1 (median / p95 to under 5%: 9 / 82 →
 * 4 / 24 route requests). The price is paid on false alarms: regret 0.0085 → 0.0090 over 15 seeds.
 */
export const RELEASE_CONFIDENCE = 0.75

/** The constraint named when deliberate exploration raised a target's weight (exploration.ts). */
export const EXPLORATION = 'deliberate exploration'

/**
 * One route, one cycle: learner proposal → guardrails (drain, warm-up, rollback, cooldown,
 * exploration floor, max step) → new weights, with every constraint that fired named.
 */
export function stepRoute(input: RouteStepInput): RouteStep {
  const { route, targets, guardrails: g } = input
  const oldWeights = normalize(input.oldWeights, targets)
  const drained = targets.filter((t) => input.health.isDrained(t))
  const healthy = targets.filter((t) => !input.health.isDrained(t))
  const constraints: string[] = drained.map((t) => `drained ${t}: ${input.health.drainReason(t)}`)
  const posteriorsOf = (list: readonly string[]) =>
    list.length
      ? allocate(
          {
            targets: list,
            own: list.map((t) => input.beliefs.get(route, t)),
            pooled: list.map((t) => input.beliefs.pooledFor(t)),
            prior: list.map((t) => input.beliefs.prior(route, t)),
          },
          input.objective,
          input.learner,
          input.rng,
        )
      : []
  // Only healthy targets compete; drained ones are summarized with pBest 0.
  const posteriors = [...posteriorsOf(healthy), ...posteriorsOf(drained).map((p) => ({ ...p, pBest: 0 }))]
  const competing = posteriors.filter((p) => healthy.includes(p.target))
  const dominated = dominatedTargets(competing)
  // Neither dominated nor ruled out by cost: the targets that need samples and may be explored.
  const outByCost = ruledOutByCost(competing, input.objective)
  const excluded = new Set([...dominated, ...outByCost])
  constraints.push(
    ...constraintsHit(
      targets,
      posteriors.map((p) => ({ quality: p.qualityMean, costUsd: p.costUsd ?? 0, latencyP95Ms: p.latencyP95Ms })),
      input.objective,
    ),
  )
  let released: string | null = null
  const done = (newWeights: Weights, reason: string): RouteStep => ({
    route,
    oldWeights,
    newWeights,
    changed: l1(oldWeights, newWeights, targets) > Math.max(1e-6, g.deadband),
    posteriors,
    constraints,
    reason,
    released,
  })

  if (healthy.length === 0) {
    constraints.push('every target is drained: weights kept')
    return done(oldWeights, 'every target breaches its health limits; keeping the current weights')
  }

  let proposal: Weights
  let why: string
  let stepLimited = true
  if (input.verdict.kind === 'rollback') {
    proposal = input.verdict.weights
    why = input.verdict.reason
    stepLimited = false
    constraints.push('rollback')
  } else if (input.inCooldown) {
    proposal = oldWeights
    why = 'holding weights after a rollback (cooldown)'
    constraints.push('rollback cooldown')
  } else {
    // Dominated targets need no samples: no objective would choose them whatever they score.
    const contenders = healthy.filter((t) => !excluded.has(t))
    const short = contenders.filter((t) => input.beliefs.get(route, t).scoredTotal < g.minSamples)
    const pBest = Object.fromEntries(healthy.map((t) => [t, posteriors.find((p) => p.target === t)!.pBest]))
    // A target whose quality dropped is held to the floor until it leads again, at the posterior means and with confidence.
    const best = bestAtMeans(competing, input.objective)
    if (best !== null && input.beliefs.isSuspect(route, best) && pBest[best]! >= RELEASE_CONFIDENCE) released = best
    const suspects = healthy.filter((t) => t !== released && input.beliefs.isSuspect(route, t))
    // Every target dropped: none is worse than the others for it, and the learner chooses among them.
    const held = suspects.length < healthy.length ? suspects : []
    if (held.length) constraints.push(`held after a quality drop: ${held.join(', ')}`)
    const sharpness = input.beliefs.routesShareEvidence() ? commitment(input.learner.sharpness, contenders.length) : 1
    const proposed = proposeShares(competing, held, sharpness, input.objective)
    proposal = trimTail(proposed.shares, healthy, input.learner.minShare)
    // The reason names the leader the weights follow: a held target is not it, whatever its P(best).
    const objective = describeObjective(input.objective)
    why = proposed.byMeans
      ? `${proposed.leader} is the best target not held, at the posterior means under ${objective}`
      : `${proposed.leader} is best with probability ${pBest[proposed.leader]!.toFixed(2)} under ${objective}`
    if (held.length) why += `; ${held.join(', ')} held after a quality drop until P(best) ≥ ${RELEASE_CONFIDENCE}`
    if (short.length) {
      // Warm-up: a contender without its minimum samples gets an even share until it has them.
      proposal = raiseTo(proposal, new Map(short.map((t) => [t, 1 / contenders.length])), healthy)
      why += `; warming up ${short.join(', ')} (fewer than ${g.minSamples} scored requests): an even share each`
      constraints.push(`min samples (${g.minSamples})`)
    } else {
      const explore = explorationWeights(
        posteriors.filter((p) => healthy.includes(p.target)),
        input.objective,
        input.beliefs.traffic(route),
        {
          maxWeight: input.learner.exploreMaxWeight,
          horizonCycles: input.learner.exploreHorizon,
          maxEvidence: input.learner.maxEvidence,
          skip: excluded,
        },
      )
      const raised = [...explore].filter(([t, w]) => w > proposal[t]!)
      if (raised.length) {
        proposal = raiseTo(proposal, new Map(raised), healthy)
        why += `; exploring ${raised.map(([t, w]) => `${t} (${w.toFixed(2)})`).join(', ')}: more observations are worth their cost`
        constraints.push(EXPLORATION)
      }
    }
  }

  // Drained targets keep only the probe weight; the rest of the mass goes to healthy targets.
  const probeMass = drained.length * g.drain.probeWeight
  const mass = Math.max(0, 1 - probeMass)
  const scaled = (w: Weights): Weights => {
    const n = normalize(w, healthy)
    return Object.fromEntries(healthy.map((t) => [t, n[t]! * mass]))
  }
  // The floor is the route's: shared by the targets that do not lead and are not dominated, and shrinking as evidence accumulates.
  const leader = healthy.reduce((a, b) => ((proposal[b] ?? 0) > (proposal[a] ?? 0) ? b : a))
  const floored = healthy.filter((t) => t !== leader && !dominated.has(t))
  const routeFloor = explorationFloor(g.minWeight, sumEvidence(healthy.map((t) => input.beliefs.get(route, t))))
  // Targets ruled out by cost share only the price probe: a listed price's change arrives with the
  // list (Beliefs.reprice), but what they answer at (tokens) is only seen on requests they serve.
  const probed = floored.filter((t) => outByCost.has(t))
  const floorShare = routeFloor / Math.max(1, floored.length - probed.length)
  const floorOf = (t: string) =>
    t === leader || dominated.has(t)
      ? 0
      : outByCost.has(t)
        ? Math.min(floorShare, g.priceProbeWeight / probed.length)
        : floorShare
  const target = applyFloor(scaled(proposal), healthy, floorOf, mass)
  if (healthy.some((t) => (scaled(proposal)[t] ?? 0) < floorOf(t) * mass - 1e-12))
    constraints.push(`exploration floor ${routeFloor.toFixed(4)}`)
  if (dominated.size) constraints.push(`dominated (no floor, no exploration): ${[...dominated].join(', ')}`)
  const from = scaled(oldWeights)
  let next = target
  // A detected quality change is acted on at once, like a drain: the weight leaves a target that got worse without max step.
  const leaving = [...(input.changedTargets ?? [])].filter(
    (t) => healthy.includes(t) && (target[t] ?? 0) < (from[t] ?? 0),
  )
  if (stepLimited && leaving.length) {
    stepLimited = false
    constraints.push(`max step lifted: quality change of ${leaving.join(', ')}`)
  }
  if (stepLimited) {
    const limited = limitStep(from, target, healthy, g.maxStep)
    next = limited.weights
    if (limited.limited) constraints.push(`max step ${g.maxStep}`)
  }
  const newWeights: Weights = { ...next }
  for (const t of drained) newWeights[t] = g.drain.probeWeight
  const drainWords = drained.length ? `; drained ${drained.join(', ')} to probe weight ${g.drain.probeWeight}` : ''
  return done(newWeights, why + drainWords)
}

/**
 * Weights ∝ P(best)^sharpness over the targets not held, and the leader they follow. When every
 * P(best) sits on held targets, the best free target at the posterior means carries the route
 * (`byMeans`) — not the even split an all-zero proposal would normalize to. `held` leaves at
 * least one target free.
 */
function proposeShares(
  competing: readonly PosteriorSummary[],
  held: readonly string[],
  sharpness: number,
  objective: ObjectiveSettings,
): { shares: Weights; leader: string; byMeans: boolean } {
  const free = competing.filter((p) => !held.includes(p.target))
  const keys = competing.map((p) => p.target)
  if (free.some((p) => p.pBest > 0)) {
    const leader = free.reduce((a, b) => (b.pBest > a.pBest ? b : a)).target
    const shares = Object.fromEntries(
      competing.map((p) => [p.target, held.includes(p.target) ? 0 : p.pBest ** sharpness]),
    )
    return { shares: normalize(shares, keys), leader, byMeans: false }
  }
  const leader = bestAtMeans(free, objective)!
  return { shares: Object.fromEntries(keys.map((t) => [t, t === leader ? 1 : 0])), leader, byMeans: true }
}

/** The target that is best under the objective at the posterior means (null with none). */
function bestAtMeans(posteriors: readonly PosteriorSummary[], objective: ObjectiveSettings): string | null {
  if (!posteriors.length) return null
  const i = bestIndex(
    posteriors.map((p) => ({ quality: p.qualityMean, costUsd: p.costUsd ?? 0, latencyP95Ms: p.latencyP95Ms })),
    objective,
  )
  return posteriors[i]!.target
}

/**
 * Probability matching gives every target its tail probability of being best, so its exploration
 * grows with the number of targets; shares under `minShare` are cut (the route's floor explores
 * instead). The leader is always kept.
 */
export function trimTail(w: Weights, keys: readonly string[], minShare: number): Weights {
  if (!(minShare > 0)) return w
  const leader = keys.reduce((a, b) => ((w[b] ?? 0) > (w[a] ?? 0) ? b : a))
  const kept = Object.fromEntries(keys.map((k) => [k, (w[k] ?? 0) >= minShare || k === leader ? (w[k] ?? 0) : 0]))
  return normalize(kept, keys)
}

/**
 * The exponent of P(best) on a route with `contenders` targets (neither dominated nor ruled out by
 * cost): `sharpness` with two, falling towards 1 (probability matching) as 1 + (sharpness − 1) / (k − 1).
 * Only where other routes inform this one (the hierarchy has estimated τ²): there a target the route
 * stops serving keeps being learned elsewhere; alone, a route that commits freezes its belief in the
 * runner-up (one demo-like route of three targets: the better one under 0.5 after 1,200 requests in
 * 14 of 100 runs at 3, 9 at 1).
 * Between two targets, sharpening commits once the evidence leans, and the runner-up keeps a real
 * share while it does not (P(best) 0.45 against 0.55 still gives it 35% at 3); a route with two
 * contenders and little traffic cannot repay probability matching's lasting spread (RouteLLM MMLU:
 * regret 0.0132 before, 0.0079 with it). Among many near-tied targets each has a small P(best), and
 * sharpening collapses the route onto a leader that is best with probability 0.2, starving the one
 * an unlucky start put second (wide-many's regret doubled at sharpness 3: docs/replay.md).
 */
export function commitment(sharpness: number, contenders: number): number {
  return 1 + (sharpness - 1) / Math.max(1, contenders - 1)
}

/** Scored observations of a route at which its exploration floor starts to shrink (∝ 1/√evidence beyond). */
export const FLOOR_FULL_EVIDENCE = 200

/**
 * The route's exploration budget: `minWeight` while the route has little evidence, then shrinking
 * as 1/√evidence — what a wrong decision can still hide shrinks as the route's estimates sharpen —
 * and never growing with the number of targets (it is shared by them).
 */
export function explorationFloor(minWeight: number, evidence: number): number {
  return minWeight * Math.min(1, Math.sqrt(FLOOR_FULL_EVIDENCE / Math.max(1, evidence)))
}

const sumEvidence = (beliefs: readonly { qCount: number }[]) => beliefs.reduce((a, b) => a + b.qCount, 0)

export function describeObjective(o: ObjectiveSettings): string {
  if (o.kind === 'floor') {
    const f = o.qualityFloor!
    const floor = f.absolute !== undefined ? `quality ≥ ${f.absolute}` : `quality ≥ ${f.relative}× the best`
    return `min cost s.t. ${floor}${o.latencySloMs ? `, p95 ≤ ${o.latencySloMs} ms` : ''}`
  }
  const lat = o.latencyWeight > 0 && o.latencySloMs ? ` − ${o.latencyWeight}·latency over ${o.latencySloMs} ms` : ''
  return `quality − ${o.costWeight}·cost${lat}`
}
