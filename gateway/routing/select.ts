import type { Breakers } from '../policy/breaker.ts'
import type { CompiledRoute, Target } from './table.ts'

export interface RequestFacts {
  tags: string[]
  body: Record<string, unknown>
  sessionId: string | undefined
}

function fieldAt(body: Record<string, unknown>, path: string): unknown {
  let v: unknown = body
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[part]
  }
  return v
}

/** The first rule whose tags and body fields all match decides the candidate targets. */
export function candidateTargets(route: CompiledRoute, facts: RequestFacts): Target[] {
  for (const rule of route.rules) {
    const tagsOk = !rule.when.tags || rule.when.tags.every((t) => facts.tags.includes(t))
    const fieldsOk =
      !rule.when.fields || Object.entries(rule.when.fields).every(([path, want]) => fieldAt(facts.body, path) === want)
    if (tagsOk && fieldsOk) return rule.targets
  }
  return route.targets
}

/** FNV-1a → [0, 1): the same session always draws the same number. */
export function stableUniform(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) / 4294967296
}

function pick(pool: Target[], u: number): number {
  let total = 0
  for (const t of pool) total += t.weight
  let x = u * total
  for (let i = 0; i < pool.length; i++) {
    x -= pool[i]!.weight
    if (x < 0) return i
  }
  return pool.length - 1
}

/**
 * Attempt order: targets with positive weight drawn by weight without replacement (the first draw
 * is stable per session when the route is sticky), then zero-weight targets as last-resort
 * fallbacks. Targets whose breaker is open are left out.
 */
export function orderTargets(
  targets: Target[],
  breakers: Breakers,
  firstDraw: number,
  random: () => number = Math.random,
): Target[] {
  const weighted: Target[] = []
  const spare: Target[] = []
  for (const t of targets) {
    if (!breakers.isAvailable(t.id)) continue
    ;(t.weight > 0 ? weighted : spare).push(t)
  }
  if (weighted.length <= 1) return weighted.concat(spare)
  const order: Target[] = []
  let u = firstDraw
  while (weighted.length) {
    const i = pick(weighted, u)
    order.push(weighted[i]!)
    weighted.splice(i, 1)
    u = random()
  }
  return order.concat(spare)
}
