import type { RouteSettings, TargetSettings } from '../config.ts'
import { targetId } from '../../lib/ids.ts'

/**
 * The configuration decides which routes and targets exist and everything about them but their
 * weights; a stored table (file, Redis, a replica's announcement) contributes only the weights of
 * the routes and targets that still match (route by name, target by id, rule by its `when`).
 */
export interface Reconciled {
  routes: RouteSettings[]
  /** `route` or `route/target` (rule targets: `route#rule/target`) whose stored weights were kept. */
  kept: string[]
  /** Stored routes and targets that the configuration no longer names. */
  dropped: string[]
  /** Configured routes and targets the stored table did not have (they start from the config's weights). */
  added: string[]
  /** Routes whose other settings (policy, rules, prices, …) now come from a changed configuration. */
  updated: string[]
  /** Weight lists whose kept weights were all zero: the config's weights instead (a route needs one positive). */
  reset: string[]
  /** Configured routes left out (an admin dropped them). */
  leftOut: string[]
}

export const isMismatch = (r: Reconciled) => r.dropped.length + r.added.length + r.updated.length + r.reset.length > 0

/**
 * `whenMissing` says what serves a configured route that `stored` does not have: the configured
 * route itself (added), another (say, the one being served), or nothing (left out).
 */
export function reconcile(
  config: RouteSettings[],
  stored: unknown[],
  whenMissing: (configured: RouteSettings) => RouteSettings | undefined,
  /** Where a configured target the stored route lacks gets its weight (the route being served); else the config. */
  serving?: (route: string) => RouteSettings | undefined,
): Reconciled {
  const out: Reconciled = { routes: [], kept: [], dropped: [], added: [], updated: [], reset: [], leftOut: [] }
  const byName = new Map<string, StoredRoute>()
  for (const r of stored) if (isStoredRoute(r)) byName.set(r.name, r)
  for (const c of config) {
    const s = byName.get(c.name)
    if (!s) {
      const instead = whenMissing(c)
      if (!instead) out.leftOut.push(c.name)
      else {
        out.routes.push(instead)
        if (instead === c) out.added.push(c.name)
      }
      continue
    }
    const live = serving?.(c.name)
    const targets = mergeWeights(c.name, c.targets, s.targets, out, live?.targets)
    const rules = c.rules.map((rule, i) => {
      const match = (Array.isArray(s.rules) ? s.rules : []).find(
        (sr) => isRecord(sr) && JSON.stringify(sr.when) === JSON.stringify(rule.when),
      )
      const storedTargets = match && isRecord(match) && Array.isArray(match.targets) ? match.targets : []
      const liveRule = live?.rules.find((r) => JSON.stringify(r.when) === JSON.stringify(rule.when))
      return { ...rule, targets: mergeWeights(`${c.name}#${i}`, rule.targets, storedTargets, out, liveRule?.targets) }
    })
    const route = { ...c, targets, rules }
    if (JSON.stringify(withoutWeights(route)) !== JSON.stringify(withoutWeights(s))) out.updated.push(c.name)
    out.routes.push(route)
  }
  const configured = new Set(config.map((c) => c.name))
  for (const name of byName.keys()) if (!configured.has(name)) out.dropped.push(name)
  return out
}

interface StoredRoute {
  name: string
  targets: unknown[]
  rules?: unknown
}

function mergeWeights(
  where: string,
  configured: TargetSettings[],
  stored: unknown[],
  out: Reconciled,
  live: TargetSettings[] = [],
): TargetSettings[] {
  const weights = new Map<string, number>()
  for (const t of stored) {
    if (isRecord(t) && typeof t.provider === 'string' && typeof t.model === 'string' && isWeight(t.weight)) {
      weights.set(
        targetId({ provider: t.provider, model: t.model, id: typeof t.id === 'string' ? t.id : undefined }),
        t.weight,
      )
    }
  }
  const ids = new Set(configured.map(targetId))
  for (const id of weights.keys()) if (!ids.has(id)) out.dropped.push(`${where}/${id}`)
  const merged = configured.map((t) => {
    const id = targetId(t)
    const w = weights.get(id)
    if (w === undefined) {
      const current = live.find((l) => targetId(l) === id)
      if (current) return { ...t, weight: current.weight }
      out.added.push(`${where}/${id}`)
      return t
    }
    out.kept.push(`${where}/${id}`)
    return { ...t, weight: w }
  })
  if (merged.some((t) => t.weight > 0)) return merged
  out.reset.push(where)
  return configured
}

/** A route as compared for "same settings": weights left out, targets in id order. */
function withoutWeights(route: unknown): unknown {
  if (!isRecord(route)) return route
  const strip = (targets: unknown) =>
    (Array.isArray(targets) ? targets : [])
      .map((t) => (isRecord(t) ? { ...t, weight: undefined } : t))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
  const rules = Array.isArray(route.rules)
    ? route.rules.map((r) => (isRecord(r) ? { ...r, targets: strip(r.targets) } : r))
    : route.rules
  return { ...route, targets: strip(route.targets), rules }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isWeight = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isStoredRoute = (r: unknown): r is StoredRoute =>
  isRecord(r) && typeof r.name === 'string' && Array.isArray(r.targets)

/**
 * Why a table sent to `PUT /admin/routing` does not fit the configuration: every route and target
 * must be configured, every configured target of a listed route present, only weights may differ,
 * and routes of the current table may be left out only when `dropRoutes` names them.
 */
export function configProblems(
  routes: RouteSettings[],
  config: RouteSettings[],
  current: string[],
  dropRoutes: string[],
): string[] {
  const problems: string[] = []
  const configured = new Map(config.map((c) => [c.name, c]))
  const listed = new Set(routes.map((r) => r.name))
  routes.forEach((r, i) => {
    const where = `routes[${i}] (${r.name})`
    const c = configured.get(r.name)
    if (!c) {
      problems.push(
        `${where}: route "${r.name}" is not in the configuration (configured: ${[...configured.keys()].join(', ') || 'none'}); add it to gateway.routes in loopgate.yaml and restart`,
      )
      return
    }
    targetProblems(where, r.targets, c.targets, problems)
    if (
      r.rules.length !== c.rules.length ||
      r.rules.some((rule, j) => JSON.stringify(rule.when) !== JSON.stringify(c.rules[j]!.when))
    ) {
      problems.push(
        `${where}.rules: differ from the configuration; only weights change at runtime (edit gateway.routes in loopgate.yaml and restart)`,
      )
    } else {
      r.rules.forEach((rule, j) => targetProblems(`${where}.rules[${j}]`, rule.targets, c.rules[j]!.targets, problems))
    }
    for (const field of Object.keys(c) as (keyof RouteSettings)[]) {
      if (field === 'targets' || field === 'rules' || field === 'name') continue
      if (JSON.stringify(r[field]) !== JSON.stringify(c[field])) {
        problems.push(
          `${where}.${field}: differs from the configuration; only weights change at runtime (edit gateway.routes in loopgate.yaml and restart)`,
        )
      }
    }
  })
  for (const name of dropRoutes) {
    if (listed.has(name)) problems.push(`dropRoutes: "${name}" is also in routes; list a route in one of them`)
    else if (!configured.has(name)) problems.push(`dropRoutes: route "${name}" is not in the configuration`)
  }
  const left = current.filter((name) => !listed.has(name) && !dropRoutes.includes(name))
  if (left.length) {
    problems.push(
      `routes: the table leaves out ${left.map((n) => `"${n}"`).join(', ')} of the current table; send every route, or name the ones to take out in "dropRoutes": [${left.map((n) => `"${n}"`).join(', ')}]`,
    )
  }
  return problems
}

function targetProblems(
  where: string,
  given: TargetSettings[],
  configured: TargetSettings[],
  problems: string[],
): void {
  const byId = new Map(configured.map((t) => [targetId(t), t]))
  const seen = new Set<string>()
  given.forEach((t, j) => {
    const id = targetId(t)
    seen.add(id)
    const c = byId.get(id)
    if (!c) {
      problems.push(
        `${where}.targets[${j}]: target "${id}" is not configured for this route (configured: ${[...byId.keys()].join(', ')}); add it to loopgate.yaml and restart`,
      )
      return
    }
    if (JSON.stringify({ ...t, weight: undefined }) !== JSON.stringify({ ...c, weight: undefined })) {
      problems.push(
        `${where}.targets[${j}] (${id}): differs from the configuration in more than its weight; only weights change at runtime`,
      )
    }
  })
  for (const id of byId.keys()) {
    if (!seen.has(id))
      problems.push(
        `${where}: configured target "${id}" is missing; keep it with weight 0 to take it out of the weighted draw`,
      )
  }
}
