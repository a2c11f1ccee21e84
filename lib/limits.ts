// Limits every component enforces the same way: the gateway at its edge, the collector on ingest
// and in its API, the evaluator on its jobs. One number each, so a value one accepts the next never refuses.

/** Longest id (session, user, task, tenant, route, target) in characters. */
export const MAX_ID_LENGTH = 256

/** Deepest nesting of objects and arrays accepted in a JSON request body. */
export const MAX_JSON_DEPTH = 64

/** Why `value` is not acceptable as the id `field`, or undefined when it is. */
export function idProblem(field: string, value: string): string | undefined {
  if (value.length > MAX_ID_LENGTH) return `${field} is ${value.length} characters long; the limit is ${MAX_ID_LENGTH}`
  return undefined
}

/** Depth of nested objects and arrays in a parsed JSON value, counted without recursion (hostile input is deep). */
export function jsonDepthExceeds(value: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (depth > maxDepth) return true
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
    }
  }
  return false
}
