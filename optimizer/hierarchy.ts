import type { TargetBelief } from './types.ts'
import { logit, sigmoid } from './logit.ts'

/** Pseudo-observations that shrink `routeOffset`'s probability-scale offset towards 0. */
const OFFSET_PSEUDO_OBSERVATIONS = 5
/** Information (1 / variance, logits) of the prior that shrinks a route's difficulty offset towards 0. */
const OFFSET_PRIOR = 1
/** Routes with evidence on a target (and on another target) needed before its prior strength is estimated. */
const MIN_ROUTES = 3
/** Prior strength while it cannot be estimated yet. */
export const FALLBACK_PRIOR_STRENGTH = 10
/** A floor on the between-route variance (logits²), so a prior never claims exact knowledge of a route. */
const MIN_TAU2 = 0.01

const mean = (b: TargetBelief) => b.qSum / b.qCount

type RouteBeliefs = ReadonlyMap<string, ReadonlyMap<string, TargetBelief>>

/**
 * How much easier (+) or harder (−) a route is than average: the mean residual of its scored
 * observations against each target's pooled quality. Lets a rarely used target's prior follow the
 * route's difficulty measured on the targets that do get traffic.
 */
export function routeOffset(own: readonly TargetBelief[], pooled: readonly TargetBelief[]): number {
  let resid = 0
  let n = 0
  own.forEach((b, i) => {
    const p = pooled[i]!
    if (b.qCount <= 0 || p.qCount <= 0) return
    resid += b.qSum - b.qCount * mean(p)
    n += b.qCount
  })
  return resid / (n + OFFSET_PSEUDO_OBSERVATIONS)
}

/** Within-route variance of a target's scores, pooled over routes. */
function withinVariance(routes: RouteBeliefs, target: string): number {
  let ss = 0
  let n = 0
  for (const r of routes.values()) {
    const b = r.get(target)
    if (!b || b.qCount <= 0) continue
    ss += Math.max(0, b.qSumSq - (b.qSum * b.qSum) / b.qCount)
    n += b.qCount
  }
  return n > 1 ? Math.max(MIN_TAU2, ss / n) : 0.25
}

/** The values of τ² (logit scale) its posterior is computed on: log-spaced from MIN_TAU2 to 4. */
const TAU2_GRID = Array.from({ length: 41 }, (_, i) => MIN_TAU2 * (4 / MIN_TAU2) ** (i / 40))
const FIT_ROUNDS = 10

/**
 * The learner's shared model of quality across routes, on the logit scale: logit(quality of t on
 * r) = targetLogit_t + routeOffset_r + an interaction of variance τ²_t. Difficulty is additive in
 * logits, not in probability: a hard route costs a 0.6 target far more points than a 0.95 one.
 */
export interface Hierarchy {
  /** Each target's logit quality on a route of average difficulty. */
  targetLogit: Map<string, number>
  /** Each route's difficulty in logits, added to every target's (shrunk towards 0). */
  routeOffset: Map<string, number>
  /** Each target's route×target interaction variance τ² in logits² (absent while it cannot be estimated). */
  tau2: Map<string, number>
  /** Each target's within-route variance of scores σ². */
  sigma2: Map<string, number>
  /** The sampling variance of each target's fitted logit (1 / its information over routes). */
  targetVar: Map<string, number>
  /** The sampling variance of each route's fitted offset. */
  routeVar: Map<string, number>
}

export const emptyHierarchy = (): Hierarchy => ({
  targetLogit: new Map(),
  routeOffset: new Map(),
  tau2: new Map(),
  sigma2: new Map(),
  targetVar: new Map(),
  routeVar: new Map(),
})

/**
 * The prior mean of `target` on `route`: its fitted level at the route's difficulty, or, while no
 * route holds evidence of it (just restarted everywhere after a change), `pooledMean` — its recent
 * level over all routes — at the route's difficulty; null with neither.
 */
export function priorMean(h: Hierarchy, route: string, target: string, pooledMean: number | null): number | null {
  const t = h.targetLogit.get(target) ?? (pooledMean === null ? undefined : logit(clamp(pooledMean)))
  return t === undefined ? null : clamp(sigmoid(t + (h.routeOffset.get(route) ?? 0)))
}

const clamp = (p: number) => Math.min(0.99, Math.max(0.01, p))

/**
 * Pseudo-observations the prior of `target` on `route` is worth at `mean` m. Its logit variance is
 * the interaction τ² plus the sampling variance of the fitted target logit and route offset (a
 * target seen a dozen times over all routes has a vague level, however alike routes are); in
 * probability (m(1 − m))² times that (delta method). For boolean scores the Beta of that mean and
 * variance (a + b = m(1 − m)/var − 1), for numeric ones σ²/var observations.
 */
export function priorWorth(
  h: Hierarchy,
  route: string,
  target: string,
  mean: number,
  boolean: boolean,
): number | undefined {
  const tau2 = h.tau2.get(target)
  if (tau2 === undefined) return undefined
  const variance = tau2 + (h.targetVar.get(target) ?? 0) + (h.routeVar.get(route) ?? 1 / OFFSET_PRIOR)
  const slope = mean * (1 - mean)
  return boolean ? Math.max(0, 1 / (slope * variance) - 1) : h.sigma2.get(target)! / (slope * slope * variance)
}

interface Cell {
  route: string
  target: string
  /** The cell's logit mean, with half an observation of continuity correction (a 0/n or n/n cell stays finite). */
  l: number
  /** Its information (1 / sampling variance of l): n·(m(1 − m))² / σ². */
  w: number
}

function cellsOf(routes: RouteBeliefs, sigma2: ReadonlyMap<string, number>): Cell[] {
  const cells: Cell[] = []
  for (const [route, ts] of routes)
    for (const [target, b] of ts) {
      if (b.qCount <= 0) continue
      const m = (b.qSum + 0.5) / (b.qCount + 1)
      const slope = m * (1 - m)
      cells.push({ route, target, l: logit(m), w: (b.qCount * slope * slope) / sigma2.get(target)! })
    }
  return cells
}

/**
 * Fits targetLogit_t + routeOffset_r to the cells' logit means by alternating weighted means (a
 * traffic-weighted pooled mean would be biased by which routes the learner sends each target to),
 * then each target's interaction variance (empirical Bayes, `interactionVariances`), then the levels
 * again with each cell weighted by 1 / (τ²_t + its sampling variance).
 */
export function fitHierarchy(routes: RouteBeliefs): Hierarchy {
  const targets = new Set([...routes.values()].flatMap((ts) => [...ts].filter(([, b]) => b.qCount > 0).map(([t]) => t)))
  const sigma2 = new Map([...targets].map((t) => [t, withinVariance(routes, t)]))
  const cells = cellsOf(routes, sigma2)
  const first = fitLevels(cells, () => 0)
  const variances = interactionVariances(cells, first.targetLogit)
  const pooled = variances.pooled
  if (pooled === undefined) return { ...first, tau2: variances.byTarget, sigma2 }
  const levels = fitLevels(cells, (t) => variances.byTarget.get(t) ?? pooled)
  return { ...levels, tau2: interactionVariances(cells, levels.targetLogit).byTarget, sigma2 }
}

/**
 * Alternating weighted means. In a target's level a cell weighs 1 / (τ²_t + its sampling
 * variance): an interaction does not shrink with the route's traffic, so one busy route where the
 * target happens to do badly must not set its level alone. (wide-many #102, seed 4: task-2's best
 * target sits 0.11 under its level on task-1, the busiest route; weighted by information alone,
 * its prior on task-2 was 0.33 against 0.43 and it never led there; now it takes task-2's second
 * half.) In a route's difficulty a cell weighs its information alone: routes' effects are largely
 * shared by targets (a hard subject is hard for all), and weighting them as independent
 * interactions left RouteLLM MMLU's rarely served target a vague prior on every route (regret
 * 0.0090 → 0.0119). Tune split, 22 instances, 12 seeds: regret 0.0118 → 0.0115; MMLU 0.0090 → 0.0078.
 */
function fitLevels(cells: readonly Cell[], tau2Of: (target: string) => number) {
  const weight = (c: Cell) => 1 / (tau2Of(c.target) + 1 / c.w)
  const targetLogit = new Map<string, number>()
  const routeOffset = new Map<string, number>()
  const targetVar = new Map<string, number>()
  const routeVar = new Map<string, number>()
  for (let round = 0; round < FIT_ROUNDS; round++) {
    const t = new Map<string, [number, number]>()
    for (const c of cells) {
      const a = t.get(c.target) ?? [0, 0]
      t.set(c.target, [a[0] + weight(c) * (c.l - (routeOffset.get(c.route) ?? 0)), a[1] + weight(c)])
    }
    for (const [target, [s, w]] of t) {
      targetLogit.set(target, s / w)
      targetVar.set(target, 1 / w)
    }
    const r = new Map<string, [number, number]>()
    for (const c of cells) {
      const a = r.get(c.route) ?? [0, 0]
      r.set(c.route, [a[0] + c.w * (c.l - targetLogit.get(c.target)!), a[1] + c.w])
    }
    for (const [route, [s, w]] of r) {
      routeOffset.set(route, s / (w + OFFSET_PRIOR))
      routeVar.set(route, 1 / (w + OFFSET_PRIOR))
    }
  }
  return { targetLogit, routeOffset, targetVar, routeVar }
}

/**
 * τ²_t for every target with residuals on MIN_ROUTES routes: the larger of its own estimate and
 * the one pooled over every target's residuals, each the posterior mean (`expectedTau2`). A
 * variance component's likelihood often peaks at 0 for a target seen on a handful of routes (on
 * wide-many, a third of the targets sat at MIN_TAU2 while the generator's interaction variance is
 * 0.25), and a prior that claims routes are alike when they are not locks a route onto the wrong
 * target; a prior too vague only costs some exploration. A target whose routes differ more than
 * the rest keeps its own.
 */
function interactionVariances(
  cells: readonly Cell[],
  targetLogit: ReadonlyMap<string, number>,
): { byTarget: Map<string, number>; pooled: number | undefined } {
  const byRoute = new Map<string, Cell[]>()
  for (const c of cells) byRoute.set(c.route, [...(byRoute.get(c.route) ?? []), c])
  const own = new Map<string, Residual[]>()
  for (const target of targetLogit.keys()) {
    const obs = residuals(byRoute, target, targetLogit)
    if (obs.length >= MIN_ROUTES) own.set(target, obs)
  }
  const byTarget = new Map<string, number>()
  if (!own.size) return { byTarget, pooled: undefined }
  const pooled = expectedTau2([...own.values()].flat())
  for (const [target, obs] of own) byTarget.set(target, Math.max(pooled, expectedTau2(obs)))
  return { byTarget, pooled }
}

/** One route's evidence on τ²_t: its squared residual r², distributed N(0, a·τ² + v). */
interface Residual {
  r2: number
  a: number
  v: number
}

/**
 * Target t's residual on each route where it and another target have evidence: its logit mean
 * minus targetLogit_t minus the difficulty measured on the route's *other* targets, distributed
 * N(0, (1 + h)·τ² + sampling noise), h being the other targets' share concentration (their
 * interactions enter that offset too). τ² is inferred from their likelihood, which, unlike moment
 * estimates, stays valid under the learner's adaptive sampling. Homogeneous routes share a strong
 * prior, so a sparse route needs little exploration; routes that differ learn on their own.
 */
function residuals(
  byRoute: ReadonlyMap<string, readonly Cell[]>,
  t: string,
  targetLogit: ReadonlyMap<string, number>,
): Residual[] {
  const obs: Residual[] = []
  for (const rc of byRoute.values()) {
    const own = rc.find((c) => c.target === t)
    if (!own) continue
    let w = 0
    let resid = 0
    let sq = 0
    for (const c of rc) {
      if (c.target === t) continue
      w += c.w
      resid += c.w * (c.l - targetLogit.get(c.target)!)
      sq += c.w * c.w
    }
    if (!(w > 0)) continue
    const residual = own.l - targetLogit.get(t)! - resid / w
    obs.push({ r2: residual * residual, a: 1 + sq / (w * w), v: 1 / own.w + 1 / w })
  }
  return obs
}

/**
 * The posterior mean of τ² given the residuals, under a log-uniform prior on TAU2_GRID (one
 * weight per grid point). The prior a route gets must carry what is not known about τ², not only
 * its likeliest value: with residuals on a few routes, or on routes with few scores, the
 * likelihood is flat from MIN_TAU2 up to their noise, its maximum sits at the floor and claims
 * routes are alike, and a target the prior wrongly puts second is cut before its own scores can
 * say otherwise. With many informative routes the posterior is narrow and the mean is the maximum
 * (RouteLLM MMLU, 57 routes: 0.08 both). Tune split, 22 instances, 4 seeds: regret 0.0130 → 0.0114.
 */
function expectedTau2(obs: readonly Residual[]): number {
  const logLik = TAU2_GRID.map((tau2) => {
    let ll = 0
    for (const o of obs) {
      const s = o.a * tau2 + o.v
      ll -= 0.5 * (Math.log(s) + o.r2 / s)
    }
    return ll
  })
  const top = Math.max(...logLik)
  let weight = 0
  let sum = 0
  TAU2_GRID.forEach((tau2, i) => {
    const w = Math.exp(logLik[i]! - top)
    weight += w
    sum += w * tau2
  })
  return sum / weight
}
