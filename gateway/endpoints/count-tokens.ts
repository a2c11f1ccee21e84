import type { FastifyReply, FastifyRequest } from 'fastify'
import { count, countError, type GatewayContext } from '../context.ts'
import { GatewayError, badRequest, errorBody } from '../errors.ts'
import { TotalTimeout, classify } from '../policy/attempt-control.ts'
import { Abort } from '../policy/abort.ts'
import { isRefusal } from '../tenancy/limits.ts'
import type { KeyRecord } from '../tenancy/keys.ts'
import type { CompiledRoute, Target } from '../routing/table.ts'
import { estimateAnthropicInputTokens } from '../translate/token-estimate.ts'
import { clientIds, header } from './client-ids.ts'
import { authenticate, refusalError, routeFor } from './admission.ts'
import { targetOrder } from './exchange.ts'
import { validateBody } from './validate.ts'

type Body = Record<string, unknown>

/** Checks like /v1/messages, except that a count has no `max_tokens`. */
function validCountBody(body: unknown, maxN: number): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the request body must be a JSON object')
  const b = body as Body
  validateBody(b.max_tokens === undefined ? { ...b, max_tokens: 1 } : b, 'anthropic', 'chat', maxN)
  return b
}

/** Counted against the key's rpm (and refused at its tpm) like any request; budgets neither checked nor charged: a count costs nothing. */
async function admitRate(ctx: GatewayContext, key: KeyRecord): Promise<void> {
  const specs = key.limits
    .filter((s) => s.rpm !== undefined || s.tpm !== undefined)
    .map((s) => ({ scope: s.scope, label: s.label, rpm: s.rpm, tpm: s.tpm }))
  if (!specs.length) return
  let r = ctx.limits.admit(specs, { units: 0n, tokens: 0 }, Date.now())
  if (r instanceof Promise) r = await r
  if (isRefusal(r)) {
    if (r.limit !== 'unavailable') count(ctx, `refused_${r.limit}`)
    throw refusalError(r)
  }
  // The hold is empty (no units, no tokens): there is nothing to settle.
}

/** The target the request would be sent to first (no breaker slot taken: nothing is generated). */
function chosenTarget(
  ctx: GatewayContext,
  req: FastifyRequest,
  body: Body,
  sessionId: string | undefined,
  route: CompiledRoute,
): Target {
  const target = targetOrder(ctx, req, route, body, sessionId)[0]
  if (!target)
    throw new GatewayError(503, `route "${route.name}" has no target available for this request`, 'no_target')
  return target
}

/** The target's own `/v1/messages/count_tokens`, with its model; its answer or its refusal, masked. */
async function upstreamCount(
  ctx: GatewayContext,
  target: Target,
  body: Body,
  route: CompiledRoute,
  beta: string | undefined,
): Promise<unknown> {
  const p = target.provider
  const t = route.settings.policy.timeouts
  const path = `${p.basePath}${p.settings.paths.messages ?? '/v1/messages'}/count_tokens`
  const signal = new Abort()
  const timer = setTimeout(() => signal.abort(new TotalTimeout(t.totalMs)), t.totalMs)
  try {
    const res = await ctx.upstreams.pool(p, t.connectMs).request({
      path: p.settings.query ? `${path}?${p.settings.query}` : path,
      method: 'POST',
      headers: beta ? { ...p.headers, 'anthropic-beta': beta } : p.headers,
      body: JSON.stringify({ ...body, model: target.model }),
      headersTimeout: t.firstByteMs,
      bodyTimeout: t.firstByteMs,
      signal,
    })
    const text = await res.body.text()
    if (res.statusCode >= 400) {
      const status = res.statusCode >= 500 ? 502 : res.statusCode
      throw new GatewayError(
        status,
        `target "${target.id}" refused the count: ${ctx.upstreams.errorMessage(text)}`,
        'upstream_error',
      )
    }
    const json = JSON.parse(text) as { input_tokens?: unknown }
    if (typeof json.input_tokens !== 'number')
      throw new GatewayError(
        502,
        `target "${target.id}" answered the count without input_tokens`,
        'upstream_invalid_response',
      )
    return { input_tokens: json.input_tokens }
  } catch (err) {
    if (err instanceof GatewayError) throw err
    const o = classify(err, signal, new Abort())
    if (o.kind === 'timeout')
      throw new GatewayError(
        504,
        `target "${target.id}" timed out counting: ${ctx.upstreams.mask(o.message)}`,
        'upstream_timeout',
      )
    throw new GatewayError(
      502,
      `target "${target.id}" could not count: ${'message' in o ? ctx.upstreams.mask(o.message) : 'aborted'}`,
      'upstream_unreachable',
    )
  } finally {
    clearTimeout(timer)
  }
}

/**
 * POST /v1/messages/count_tokens (Anthropic's token counting). Passed through to an Anthropic
 * target; otherwise estimated locally. Free (no budget), but rate-limited like any request.
 */
export async function countTokensEndpoint(
  ctx: GatewayContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  try {
    const key = authenticate(ctx, req)
    const body = validCountBody(req.body, ctx.settings.maxN)
    const { sessionId } = clientIds(req, body, ctx.settings)
    const route = routeFor(ctx, key, body.model)
    await admitRate(ctx, key)
    const target = chosenTarget(ctx, req, body, sessionId, route)
    const headers = { 'x-loopgate-route': route.name, 'x-loopgate-target': target.id }
    if (target.provider.adapter.protocol === 'anthropic') {
      const answer = await upstreamCount(ctx, target, body, route, header(req, 'anthropic-beta'))
      reply
        .code(200)
        .headers({ ...headers, 'x-loopgate-token-count': 'upstream' })
        .send(answer)
      return
    }
    reply
      .code(200)
      .headers({ ...headers, 'x-loopgate-token-count': 'estimated' })
      .send({ input_tokens: estimateAnthropicInputTokens(body, target.model) })
  } catch (err) {
    const e =
      err instanceof GatewayError
        ? err
        : new GatewayError(500, `gateway error: ${(err as Error).message}`, 'internal_error')
    if (!(err instanceof GatewayError)) ctx.logger.error({ err }, 'count_tokens failed inside the gateway')
    countError(ctx, e, 'count_tokens_failed')
    reply
      .code(e.status)
      .headers(e.headers)
      .send(errorBody('anthropic', e.status, e.message, e.code, e.param))
  }
}
