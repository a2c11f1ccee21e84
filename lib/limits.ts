// Limits every component enforces the same way: the gateway at its edge, the collector on ingest
// and in its API, the evaluator on its jobs. One number each, so a value one accepts the next never refuses.

/** Longest id (session, user, task, tenant, route, target) in characters. */
export const MAX_ID_LENGTH = 256

/** Deepest nesting of objects and arrays accepted in a JSON request body. */
export const MAX_JSON_DEPTH = 64

// Numeric request parameters that size the work done for one request (by the gateway, a provider
// or the simulator). Each is above what any current provider accepts, so a real request never hits it.

/** Largest `dimensions` of an embedding (OpenAI's largest model has 3,072). */
export const MAX_EMBEDDING_DIMENSIONS = 16_384

/** Most inputs in one embeddings request (OpenAI's own limit). */
export const MAX_EMBEDDING_INPUTS = 2_048

/** Largest `max_tokens` / `max_completion_tokens` / `thinking.budget_tokens`. */
export const MAX_OUTPUT_TOKENS = 1_000_000

/** Ceiling of `n` (choices per request); the gateway's configurable `maxN` may not exceed it (OpenAI allows 128). */
export const MAX_N = 128

/** Largest `top_logprobs` (OpenAI allows 20). */
export const MAX_TOP_LOGPROBS = 20

/** What an id may look like besides its length: no C0 control characters (newlines, tabs, NUL…). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const ID_ALLOWED = /^[^\u0000-\u001f]*$/

/** Why `value` is not acceptable as the id `field`, or undefined when it is. Never quotes the value (it may be huge). */
export function idProblem(field: string, value: string): string | undefined {
  if (value.length > MAX_ID_LENGTH) return `${field} is ${value.length} characters long; the limit is ${MAX_ID_LENGTH}`
  if (!ID_ALLOWED.test(value)) return `${field} contains a control character (U+0000–U+001F), which ids may not`
  return undefined
}

/**
 * Whether a parsed JSON value nests objects and arrays deeper than `maxDepth` (the value itself is
 * level 1). Recursive, but never deeper than `maxDepth + 1` frames, so hostile input cannot overflow
 * the stack; no allocation per node (this runs on every gateway request: ~1 µs for a usual chat body).
 */
export function jsonDepthExceeds(value: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  return value !== null && typeof value === 'object' && deeper(value as object, 1, maxDepth)
}

function deeper(v: object, depth: number, max: number): boolean {
  if (depth > max) return true
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const c: unknown = v[i]
      if (c !== null && typeof c === 'object' && deeper(c, depth + 1, max)) return true
    }
    return false
  }
  for (const k in v) {
    const c: unknown = (v as Record<string, unknown>)[k]
    if (c !== null && typeof c === 'object' && deeper(c, depth + 1, max)) return true
  }
  return false
}
