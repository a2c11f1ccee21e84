import type { Span } from '@opentelemetry/api'
import type { ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { count, countError, type GatewayContext } from '../context.ts'
import { GatewayError, errorBody } from '../errors.ts'
import { unitsToUsd } from '../../lib/money.ts'
import { runAttempts } from '../policy/run.ts'
import { costUnits } from '../pricing.ts'
import type { Operation, Protocol, ResponseFacts } from '../providers/types.ts'
import type { Target } from '../routing/table.ts'
import { hasLimit, isRefusal, spendOnlyHold } from '../tenancy/limits.ts'
import { inputTokenBound, outputTokenBound, worstCase } from '../tenancy/reserve.ts'
import { inputMessages, outputMessages } from '../telemetry/capture.ts'
import {
  failRequestSpan,
  markRouteFailed,
  markStreamCut,
  parentContext,
  recordOutcome,
  startRequestSpan,
  traceIdOf,
  type RequestSpanInfo,
} from '../telemetry/spans.ts'
import { clientResponse, streamRelay } from '../translate/index.ts'
import { clientIds, header } from './client-ids.ts'
import { relayStream } from './stream-reply.ts'
import { validateBody } from './validate.ts'
import { admitHit, authenticate, refusalError, routeFor } from './admission.ts'
import { Exchange } from './exchange.ts'
import { resolveInput, type ResolvedInput } from '../responses/input.ts'
import { keepResponse } from '../responses/keep.ts'
import { adapterFor } from '../providers/registry.ts'
import { evaluationFacts } from '../telemetry/evaluation-facts.ts'
import { serveHit } from '../cache/hit.ts'
import { ATTR_ERROR_TYPE, ATTR_GEN_AI_INPUT_MESSAGES, ATTR_GEN_AI_OUTPUT_MESSAGES } from '../../lib/attributes.ts'

/** Holds the request's worst case against every limit of its key, before any upstream call (rule 9). */
async function reserve(ctx: GatewayContext, x: Exchange): Promise<void> {
  const input = inputTokenBound(x.bodyBytes)
  const output = outputTokenBound(
    x.op,
    x.body,
    x.route.settings.maxOutputTokens,
    ctx.settings.limits.defaultMaxOutputTokens,
  )
  const ask = worstCase(x.order, input, output)
  let r = ctx.limits.admit(x.key.limits, ask, Date.now())
  if (r instanceof Promise) r = await r
  if (isRefusal(r)) {
    if (r.limit !== 'unavailable') count(ctx, `refused_${r.limit}`) // the store counts its own (limits_unavailable)
    throw refusalError(r)
  }
  x.hold = r
  x.headers['x-loopgate-reserved-usd'] = unitsToUsd(ask.units)
}

/** Replaces the hold by the real tokens and cost (0 and 0n release it); once per request. */
async function settleHold(ctx: GatewayContext, x: Exchange, tokens: number, cost: bigint): Promise<void> {
  const hold = x.hold
  if (!hold) return
  x.hold = undefined
  if (hold.units === 0n && hold.tokens === 0 && tokens === 0 && cost === 0n) return // nothing held, nothing spent
  try {
    const settled = ctx.limits.settle(hold, tokens, cost)
    if (settled instanceof Promise) await settled
  } catch (err) {
    count(ctx, 'settle_failed')
    ctx.logger.error({ err, tenant: x.key.tenantId }, 'settling usage failed')
  }
}

function sendError(reply: FastifyReply, protocol: Protocol, err: GatewayError, headers: Record<string, string>): void {
  if (reply.sent || reply.raw.headersSent) return
  reply
    .code(err.status)
    .headers({ ...headers, ...err.headers })
    .send(errorBody(protocol, err.status, err.message, err.code, err.param))
}

/** One request, end to end: key → body → route → limits → attempts → answer → settlement and spans. */
export async function handle(
  ctx: GatewayContext,
  req: FastifyRequest,
  reply: FastifyReply,
  protocol: Protocol,
  op: Operation,
): Promise<void> {
  const headers: Record<string, string> = {}
  let span: Span | undefined
  try {
    const key = authenticate(ctx, req)
    let body = validateBody(req.body, protocol, op, ctx.settings.maxN)
    let resolved: ResolvedInput | undefined
    if (protocol === 'responses') {
      resolved = resolveInput(ctx.responses, key.tenantId, body)
      body = resolved.body
    }
    const ids = clientIds(req, body, ctx.settings)
    const snapshot = ctx.routing.current
    const route = routeFor(ctx, key, body.model, snapshot)
    headers['x-loopgate-route'] = route.name
    headers['x-loopgate-routing-version'] = String(snapshot.version)
    const info: RequestSpanInfo = {
      op,
      route: route.name,
      tenantId: key.tenantId,
      routingVersion: snapshot.version,
      sessionId: ids.sessionId,
      userId: ids.userId,
    }
    const parent = parentContext(req.headers)
    const task = header(req, 'x-loopgate-task')
    const capture = route.settings.capture
    const facts = evaluationFacts(body, task, capture)
    if (capture !== 'off') facts[ATTR_GEN_AI_INPUT_MESSAGES] = inputMessages(body, capture)
    span = startRequestSpan(ctx.tracer, parent, info, facts)
    const traceId = traceIdOf(span)
    if (traceId) headers['x-loopgate-trace-id'] = traceId

    const cache = ctx.responseCache.request(req, route.settings, {
      tenantId: key.tenantId,
      route: route.name,
      protocol,
      op,
      body,
    })
    const cached = cache && (await cache.lookup(span, headers))
    if (cached) {
      await admitHit(ctx, key)
      return serveHit(reply, span, headers, cached, capture)
    }

    const x = new Exchange({
      ctx,
      req,
      reply,
      protocol,
      op,
      body,
      rawBody: resolved?.changed ? undefined : req.rawBody,
      resolved,
      route,
      key,
      info,
      parent,
      span,
      headers,
      task,
    })
    x.cache = cache
    if (key.limits.some(hasLimit)) await reserve(ctx, x)
    else if (key.limits.length) x.hold = spendOnlyHold(key.limits, Date.now())
    try {
      await serve(ctx, req, reply, x)
    } finally {
      // Failed, refused upstream or abandoned before settling: the whole reservation goes back.
      if (x.hold) await settleHold(ctx, x, 0, 0n)
    }
  } catch (err) {
    const e =
      err instanceof GatewayError
        ? err
        : new GatewayError(500, `gateway error: ${(err as Error).message}`, 'internal_error')
    if (!(err instanceof GatewayError)) ctx.logger.error({ err }, 'request failed inside the gateway')
    // Limit refusals and failed routes are counted where they are decided.
    countError(ctx, e)
    if (span) {
      failRequestSpan(span, e.status, e.message)
      span.end()
    }
    sendError(reply, protocol, e, headers)
  }
}

/** The client left before its answer was complete: the attempt in flight is cancelled. */
function onClientClose(this: ServerResponse & { exchange: Exchange }): void {
  if (!this.writableFinished) this.exchange.clientSignal.abort()
}

async function serve(ctx: GatewayContext, req: FastifyRequest, reply: FastifyReply, x: Exchange): Promise<void> {
  const { route, body, protocol, span, stream } = x
  ;(reply.raw as ServerResponse & { exchange: Exchange }).exchange = x
  reply.raw.on('close', onClientClose)

  const result = await runAttempts(ctx, x)
  if (result.kind === 'aborted') {
    count(ctx, 'client_disconnected')
    span.setAttribute(ATTR_ERROR_TYPE, 'client_disconnected')
    span.end()
    return
  }
  if (result.kind === 'failed') {
    if (result.routeFailed) {
      count(ctx, 'route_failed')
      markRouteFailed(span, result.attempts)
    }
    throw result.error
  }
  const { target, attempt } = result
  x.headers['x-loopgate-target'] = target.id
  const capture = route.settings.capture
  const adapter = adapterFor(target.provider, protocol)
  const targetProtocol = adapter.protocol

  if (!stream) {
    result.done()
    const data = result.outcome.data!
    let json: unknown
    try {
      json = JSON.parse(data.toString())
    } catch {
      result.span.end()
      throw new GatewayError(
        502,
        `target "${target.id}" answered with a body that is not JSON`,
        'upstream_invalid_response',
      )
    }
    const facts = adapter.readResponse(json, capture !== 'off')
    const cost = target.price ? costUnits(facts.usage, target.price) : 0n
    const costUsd = unitsToUsd(cost)
    x.headers['x-loopgate-cost-usd'] = costUsd
    const translated = clientResponse(protocol, targetProtocol, json, body)
    const answer = translated === undefined ? data : JSON.stringify(translated)
    sendJson(reply, x.headers, answer)
    if (x.resolved) keepResponse(ctx, x.key.tenantId, x.resolved, (translated ?? json) as Record<string, unknown>)
    x.cache?.keep(answer, costUsd, target.id, capture !== 'off' ? outputMessages(facts, capture) : undefined)
    await finish(ctx, x, target, attempt, result.span, facts, cost, costUsd, undefined)
    return
  }

  const relay = streamRelay(
    protocol,
    targetProtocol,
    {
      clientWantsUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
      capture: capture !== 'off',
    },
    { body, bytes: x.bodyBytes },
  )
  reply.hijack()
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    trailer: 'x-loopgate-cost-usd',
    ...x.headers,
  })
  // Settled once the stream ends: in the trailer of a completed stream, or after a cut one.
  let cost: bigint | undefined
  const settle = (): bigint => {
    if (cost === undefined) {
      relay.facts.usage = settledUsage(relay.facts, x.body)
      cost = target.price ? costUnits(relay.facts.usage, target.price) : 0n
    }
    return cost
  }
  const recorder = x.cache?.recorder()
  const end = await relayStream(
    reply.raw,
    result.outcome.stream!,
    relay,
    protocol,
    () => ({ 'x-loopgate-cost-usd': unitsToUsd(settle()) }),
    (text) => ctx.upstreams.mask(text),
    recorder?.tap,
  )
  result.done()
  if (end.kind === 'completed') {
    result.verdict(true)
    const final = relay.finalResponse?.()
    if (x.resolved && final) keepResponse(ctx, x.key.tenantId, x.resolved, final)
    // Only a stream that ended with its finish reason is an answer to keep (an in-band error ends without one).
    if (recorder && relay.facts.finishReasons.length)
      recorder.keep(
        unitsToUsd(settle()),
        target.id,
        capture !== 'off' ? outputMessages(relay.facts, capture) : undefined,
      )
  } else {
    result.outcome.stream!.destroy()
    count(ctx, end.kind)
    if (end.kind === 'upstream_failed') result.verdict(false, `stream cut: ${end.message}`)
    else result.release()
    markStreamCut(span, result.span, end.kind === 'client_gone' ? undefined : end.message)
  }
  const settled = settle()
  const ttft = relay.firstTokenAt !== undefined ? relay.firstTokenAt - result.startedAt : undefined
  await finish(ctx, x, target, attempt, result.span, relay.facts, settled, unitsToUsd(settled), ttft)
}

/** A stream cut before its usage frame is billed on an estimate: ~4 characters per input token, one token per delta. */
function settledUsage(facts: ResponseFacts, body: Record<string, unknown>): ResponseFacts['usage'] {
  if (facts.usage.input > 0 || facts.usage.output > 0) return facts.usage
  const input = Math.ceil(JSON.stringify(body.messages ?? body.input ?? '').length / 4)
  return { input, output: facts.deltas, cacheRead: 0, cacheWrite: 0 }
}

async function finish(
  ctx: GatewayContext,
  x: Exchange,
  target: Target,
  attempt: number,
  attemptSpan: Span,
  facts: ResponseFacts,
  cost: bigint,
  costUsd: string,
  ttftMs: number | undefined,
): Promise<void> {
  recordOutcome(x.span, attemptSpan, target, attempt, facts, costUsd, ttftMs)
  if (x.route.settings.capture !== 'off')
    x.span.setAttribute(ATTR_GEN_AI_OUTPUT_MESSAGES, outputMessages(facts, x.route.settings.capture))
  attemptSpan.end()
  try {
    await settleHold(ctx, x, facts.usage.input + facts.usage.output, cost)
  } finally {
    x.span.end()
  }
}

/** A complete JSON answer, written directly: the headers are already final, nothing is serialized. */
function sendJson(reply: FastifyReply, headers: Record<string, string>, body: Buffer | string): void {
  headers['content-type'] = 'application/json'
  headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length)
  reply.hijack()
  reply.raw.writeHead(200, headers).end(body)
}
