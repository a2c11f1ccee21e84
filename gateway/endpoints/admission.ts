// Who may call and what: the virtual key, the route it names, and a limit's refusal as an answer.
import type { FastifyRequest } from 'fastify'
import { count, type GatewayContext } from '../context.ts'
import { GatewayError } from '../errors.ts'
import { unitsToUsd } from '../../lib/money.ts'
import { hitLimits } from '../cache/hit.ts'
import type { CompiledRoute } from '../routing/table.ts'
import { isRefusal, refusalStatus, type Refusal } from '../tenancy/limits.ts'
import type { KeyRecord } from '../tenancy/keys.ts'

function apiKeyOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim()
  const x = req.headers['x-api-key']
  return typeof x === 'string' && x ? x : undefined
}

/** The route named `model` when this key may use it; else 404 `model_not_found`. */
export function routeFor(
  ctx: GatewayContext,
  key: KeyRecord,
  model: unknown,
  snapshot = ctx.routing.current,
): CompiledRoute {
  const route = snapshot.byName.get(model as string)
  if (!route || (key.routes && !key.routes.has(route.name))) {
    throw new GatewayError(
      404,
      `unknown model "${String(model)}": it is not a route this key may use (GET /v1/models lists them)`,
      'model_not_found',
      {},
      'model',
    )
  }
  return route
}

export function authenticate(ctx: GatewayContext, req: FastifyRequest): KeyRecord {
  const key = apiKeyOf(req)
  if (!key)
    throw new GatewayError(
      401,
      'missing API key: send your Loopgate virtual key as "Authorization: Bearer <key>" (or x-api-key)',
      'missing_api_key',
    )
  const rec = ctx.keys.lookup(key)
  if (!rec)
    throw new GatewayError(401, 'invalid API key: this virtual key is not known to the gateway', 'invalid_api_key')
  if (rec.revokedAt)
    throw new GatewayError(401, `invalid API key: this virtual key was revoked at ${rec.revokedAt}`, 'invalid_api_key')
  return rec
}

export function refusalError(r: Refusal): GatewayError {
  const seconds = Math.max(1, Math.ceil((r.resetsAt.getTime() - Date.now()) / 1000))
  if (r.limit === 'unavailable') {
    return new GatewayError(
      503,
      `the budget and rate-limit store (Redis) is unreachable and the gateway runs with limits.failureMode "deny": requests of ${r.label} are refused until it answers again`,
      'limits_unavailable',
      { 'retry-after': '1' },
    )
  }
  const headers: Record<string, string> = {
    'retry-after': String(seconds),
    'x-loopgate-limit': r.limit,
    'x-loopgate-limit-value': r.value,
    'x-loopgate-limit-reset': r.resetsAt.toISOString(),
  }
  let message = `${r.label} reached its ${r.limit} limit of ${r.value}; it resets at ${r.resetsAt.toISOString()}`
  if (r.remaining !== undefined && r.needed !== undefined) {
    headers['x-loopgate-budget-remaining-usd'] = unitsToUsd(r.remaining)
    headers['x-loopgate-budget-needed-usd'] = unitsToUsd(r.needed)
    if (r.remaining > 0n) {
      message = `${r.label} has $${unitsToUsd(r.remaining)} left of its ${r.limit} limit of ${r.value}; this request may cost up to $${unitsToUsd(r.needed)} (reserved before the upstream call: its input and max_tokens at the dearest target's price; lower max_tokens to fit); it resets at ${r.resetsAt.toISOString()}`
    }
  }
  return new GatewayError(
    refusalStatus(r),
    message,
    refusalStatus(r) === 429 ? 'rate_limit_exceeded' : 'budget_exceeded',
    headers,
  )
}

/** A cache hit counts towards the requests-per-minute limits only (docs/gateway.md › Response cache). */
export async function admitHit(ctx: GatewayContext, key: KeyRecord): Promise<void> {
  const specs = hitLimits(key.limits)
  if (!specs.length) return
  let r = ctx.limits.admit(specs, { units: 0n, tokens: 0 }, Date.now())
  if (r instanceof Promise) r = await r
  if (!isRefusal(r)) return
  if (r.limit !== 'unavailable') count(ctx, `refused_${r.limit}`)
  throw refusalError(r)
}
