import type { Span } from '@opentelemetry/api'
import type { FastifyReply } from 'fastify'
import { ATTR_GEN_AI_OUTPUT_MESSAGES, CACHE_SAVED_USD, COST_SOURCE, COST_USD } from '../../lib/attributes.ts'
import type { LimitSpec } from '../tenancy/limits.ts'
import type { CacheEntry } from './store.ts'

const requestOnly = new WeakMap<LimitSpec[], LimitSpec[]>()

/**
 * The limits a cache hit is held against: only the requests-per-minute ones. A hit is a request
 * (it counts towards rpm) but spends no tokens and no money (tpm and USD budgets neither count it
 * nor refuse it).
 */
export function hitLimits(specs: LimitSpec[]): LimitSpec[] {
  let out = requestOnly.get(specs)
  if (!out) {
    out = specs.filter((s) => s.rpm !== undefined).map((s) => ({ scope: s.scope, label: s.label, rpm: s.rpm }))
    requestOnly.set(specs, out)
  }
  return out
}

/**
 * Answers from the cache: the stored JSON body, or the stored SSE stream replayed in one write.
 * The request span says it was a hit, charged nothing, and saved what the answer cost when fetched.
 */
export function serveHit(
  reply: FastifyReply,
  span: Span,
  headers: Record<string, string>,
  entry: CacheEntry,
  capture: string,
): void {
  headers['x-loopgate-cost-usd'] = '0'
  headers['x-loopgate-saved-usd'] = entry.costUsd
  if (entry.form === 'json') {
    headers['content-type'] = 'application/json'
    headers['content-length'] = String(Buffer.byteLength(entry.body))
  } else {
    headers['content-type'] = 'text/event-stream; charset=utf-8'
    headers['cache-control'] = 'no-cache'
  }
  const attrs: Record<string, string> = {
    [COST_USD]: '0',
    [COST_SOURCE]: 'cache',
    [CACHE_SAVED_USD]: entry.costUsd,
  }
  // Only under the capture setting it was kept with (a route now `off` records no content).
  if (entry.output !== undefined && entry.capture === capture) attrs[ATTR_GEN_AI_OUTPUT_MESSAGES] = entry.output
  span.setAttributes(attrs)
  reply.hijack()
  reply.raw.writeHead(200, headers).end(entry.body)
  span.end()
}
