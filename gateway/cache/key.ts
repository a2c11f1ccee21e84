import { createHash } from 'node:crypto'
import type { Operation, Protocol } from '../providers/types.ts'

/**
 * Body fields that do not change the answer, left out of the cache key: who asked (`user`,
 * `metadata`, Anthropic's `metadata.user_id`), whether OpenAI stores the completion (`store`), and
 * the streaming switches, which the answer's form below stands for instead.
 */
export const IGNORED_FIELDS: ReadonlySet<string> = new Set(['user', 'metadata', 'store', 'stream', 'stream_options'])

/**
 * How the answer is shaped: a JSON body, an SSE stream, or an OpenAI stream with its usage chunk
 * (`stream_options.include_usage`). Each form is its own entry: a stream is replayed as it was sent.
 */
export type AnswerForm = 'json' | 'sse' | 'sse+usage'

export function answerForm(protocol: Protocol, body: Record<string, unknown>): AnswerForm {
  if (body.stream !== true) return 'json'
  const usage =
    protocol === 'openai' && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true
  return usage ? 'sse+usage' : 'sse'
}

/** JSON with object keys sorted at every depth: the same request written in another key order is the same request. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`
}

export interface KeyParts {
  tenantId: string
  route: string
  protocol: Protocol
  op: Operation
  form: AnswerForm
  body: Record<string, unknown>
  /** Request headers that choose targets or change the upstream's answer (`x-loopgate-tags`, `anthropic-beta`). */
  headers: (string | undefined)[]
}

/**
 * The entry's key: a SHA-256 over tenant, route, protocol, operation, form, the answer-changing
 * headers and the canonical body. The tenant is inside the hash, so two tenants never share an
 * entry and a stored key does not say whose it is.
 */
export function cacheKey(p: KeyParts): string {
  const body: Record<string, unknown> = {}
  for (const k of Object.keys(p.body)) if (!IGNORED_FIELDS.has(k)) body[k] = p.body[k]
  const head = JSON.stringify([p.tenantId, p.route, p.protocol, p.op, p.form, p.headers.map((h) => h ?? null)])
  return createHash('sha256').update(head).update('\u0000').update(canonical(body)).digest('hex')
}
