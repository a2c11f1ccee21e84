/** Weight arithmetic for the guardrails: allocation vectors over a route's targets (sum 1). */
export type Weights = Record<string, number>

export function normalize(w: Weights, keys: readonly string[]): Weights {
  let total = 0
  for (const k of keys) total += Math.max(0, w[k] ?? 0)
  const out: Weights = {}
  for (const k of keys) out[k] = total > 0 ? Math.max(0, w[k] ?? 0) / total : 1 / keys.length
  return out
}

export const uniform = (keys: readonly string[]): Weights => Object.fromEntries(keys.map((k) => [k, 1 / keys.length]))

/**
 * Raises every key to at least its floor (`floor` × `mass`, or per key), taking the difference
 * proportionally from the keys above it (water-filling), so the result still sums to `mass`.
 */
export function applyFloor(
  w: Weights,
  keys: readonly string[],
  floor: number | ((key: string) => number),
  mass = 1,
): Weights {
  const floorOf = (k: string) => Math.min(typeof floor === 'number' ? floor : floor(k), 1 / keys.length) * mass
  const out: Weights = { ...w }
  const fixed = new Set<string>()
  for (let round = 0; round < keys.length; round++) {
    const low = keys.filter((k) => !fixed.has(k) && (out[k] ?? 0) < floorOf(k))
    if (!low.length) break
    for (const k of low) {
      out[k] = floorOf(k)
      fixed.add(k)
    }
    const free = keys.filter((k) => !fixed.has(k))
    const freeMass = mass - [...fixed].reduce((a, k) => a + floorOf(k), 0)
    let freeTotal = 0
    for (const k of free) freeTotal += w[k] ?? 0
    for (const k of free) out[k] = freeTotal > 0 ? ((w[k] ?? 0) / freeTotal) * freeMass : freeMass / free.length
  }
  return out
}

/**
 * Raises keys to the minimum weights given (scaled down together if they sum past 1), taking the
 * difference from the other keys in proportion to their weights, so the total stays 1.
 */
export function raiseTo(w: Weights, minimum: ReadonlyMap<string, number>, keys: readonly string[]): Weights {
  const raised = keys.filter((k) => (minimum.get(k) ?? 0) > (w[k] ?? 0))
  const wanted = raised.reduce((a, k) => a + minimum.get(k)!, 0)
  const scale = wanted > 1 ? 1 / wanted : 1
  const rest = keys.filter((k) => !raised.includes(k))
  const restTotal = rest.reduce((a, k) => a + (w[k] ?? 0), 0)
  const restMass = 1 - wanted * scale
  const out: Weights = {}
  for (const k of raised) out[k] = minimum.get(k)! * scale
  for (const k of rest) out[k] = restTotal > 0 ? ((w[k] ?? 0) / restTotal) * restMass : restMass / rest.length
  return out
}

/**
 * Moves from `from` towards `to` (same keys, same total) with no key changing by more than
 * `maxStep`: the whole move is scaled, so the total is kept.
 */
export function limitStep(
  from: Weights,
  to: Weights,
  keys: readonly string[],
  maxStep: number,
): { weights: Weights; limited: boolean } {
  let largest = 0
  for (const k of keys) largest = Math.max(largest, Math.abs((to[k] ?? 0) - (from[k] ?? 0)))
  if (largest <= maxStep) return { weights: { ...to }, limited: false }
  const s = maxStep / largest
  const out: Weights = {}
  for (const k of keys) out[k] = (from[k] ?? 0) + s * ((to[k] ?? 0) - (from[k] ?? 0))
  return { weights: out, limited: true }
}

export function l1(a: Weights, b: Weights, keys: readonly string[]): number {
  let d = 0
  for (const k of keys) d += Math.abs((a[k] ?? 0) - (b[k] ?? 0))
  return d
}

/** Rounded for the routing table (the gateway normalizes by the sum anyway). */
export function rounded(w: Weights, digits = 4): Weights {
  const f = 10 ** digits
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Math.round(v * f) / f]))
}

/** The target with the largest weight (undefined for no weights). */
export function leaderOf(w: Weights | undefined): string | undefined {
  let best: string | undefined
  for (const [t, v] of Object.entries(w ?? {})) if (best === undefined || v > w![best]!) best = t
  return best
}
