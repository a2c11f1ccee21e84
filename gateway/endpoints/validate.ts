import {
  MAX_EMBEDDING_DIMENSIONS,
  MAX_EMBEDDING_INPUTS,
  MAX_JSON_DEPTH,
  MAX_OUTPUT_TOKENS,
  MAX_TOP_LOGPROBS,
  jsonDepthExceeds,
} from '../../lib/limits.ts'
import { badRequest } from '../errors.ts'
import { validateResponsesBody } from '../responses/validate.ts'
import type { Operation, Protocol } from '../providers/types.ts'

type Body = Record<string, unknown>

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v)

function optional(body: Body, field: string, ok: (v: unknown) => boolean, want: string): void {
  const v = body[field]
  if (v !== undefined && v !== null && !ok(v)) throw badRequest(`'${field}' must be ${want}`, field)
}

/** An optional integer that sizes work: `min`…`max` inclusive, else 400 naming the field and the bound. */
function boundedInt(body: Body, field: string, min: number, max: number, param = field): void {
  const v = body[field]
  if (v === undefined || v === null) return
  if (!isInt(v) || (v as number) < min) throw badRequest(`'${param}' must be an integer of at least ${min}`, param)
  if ((v as number) > max) throw badRequest(`'${param}' is ${v as number}; the limit is ${max}`, param)
}

/** Cheap structural checks before anything is spent; upstream validates the rest. */
export function validateBody(body: unknown, protocol: Protocol, op: Operation, maxN: number): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the request body must be a JSON object')
  // Before anything serializes the body again (translation, streaming, capture): deep nesting overflows the stack.
  if (jsonDepthExceeds(body))
    throw badRequest(`the request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels, the limit`)
  const b = body as Body
  if (typeof b.model !== 'string' || !b.model) throw badRequest("'model' is required and must be a string", 'model')
  optional(b, 'stream', (v) => typeof v === 'boolean', 'a boolean')
  if (protocol === 'responses') return validateResponsesBody(b)
  if (op === 'embeddings') {
    const input = b.input
    const ok = typeof input === 'string' || (Array.isArray(input) && input.length > 0)
    if (!ok) throw badRequest("'input' must be a string or a non-empty array", 'input')
    if (Array.isArray(input) && input.length > MAX_EMBEDDING_INPUTS)
      throw badRequest(`'input' has ${input.length} items; the limit is ${MAX_EMBEDDING_INPUTS}`, 'input')
    boundedInt(b, 'dimensions', 1, MAX_EMBEDDING_DIMENSIONS)
    return b
  }
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    throw badRequest("'messages' must be a non-empty array", 'messages')
  for (const [i, m] of b.messages.entries()) {
    if (typeof m !== 'object' || m === null || typeof (m as Body).role !== 'string')
      throw badRequest(`'messages[${i}]' must be an object with a string 'role'`, `messages[${i}]`)
  }
  optional(b, 'temperature', (v) => typeof v === 'number', 'a number')
  optional(b, 'top_p', (v) => typeof v === 'number', 'a number')
  optional(b, 'tools', Array.isArray, 'an array')
  if (protocol === 'anthropic') {
    if (!isInt(b.max_tokens) || (b.max_tokens as number) < 1)
      throw badRequest("'max_tokens' is required and must be a positive integer", 'max_tokens')
    boundedInt(b, 'max_tokens', 1, MAX_OUTPUT_TOKENS)
    const thinking = b.thinking
    if (thinking !== null && typeof thinking === 'object' && !Array.isArray(thinking))
      boundedInt(thinking as Body, 'budget_tokens', 1, MAX_OUTPUT_TOKENS, 'thinking.budget_tokens')
    optional(b, 'system', (v) => typeof v === 'string' || Array.isArray(v), 'a string or an array of blocks')
    return b
  }
  boundedInt(b, 'max_tokens', 1, MAX_OUTPUT_TOKENS)
  boundedInt(b, 'max_completion_tokens', 1, MAX_OUTPUT_TOKENS)
  boundedInt(b, 'top_logprobs', 0, MAX_TOP_LOGPROBS)
  optional(b, 'n', (v) => isInt(v) && (v as number) >= 1, 'a positive integer')
  if (typeof b.n === 'number' && b.n > maxN) throw badRequest(`'n' is ${b.n}; this gateway allows at most ${maxN}`, 'n')
  optional(b, 'stream_options', (v) => typeof v === 'object', 'an object')
  return b
}
