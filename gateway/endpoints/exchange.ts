import type { Context, Span } from '@opentelemetry/api'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { GatewayContext } from '../context.ts'
import { Abort } from '../policy/abort.ts'
import type { RunInput } from '../policy/run.ts'
import { NO_HEADERS } from '../policy/upstream.ts'
import type { Operation, Protocol } from '../providers/types.ts'
import { adapterFor, upstreamPath } from '../providers/registry.ts'
import type { CacheRequest } from '../cache/index.ts'
import type { ResolvedInput } from '../responses/input.ts'
import { candidateTargets, orderTargets, stableUniform } from '../routing/select.ts'
import type { CompiledRoute, Target } from '../routing/table.ts'
import type { Hold } from '../tenancy/limits.ts'
import type { KeyRecord } from '../tenancy/keys.ts'
import { startAttemptSpan, type RequestSpanInfo } from '../telemetry/spans.ts'
import { upstreamText } from '../translate/index.ts'
import { header } from './client-ids.ts'

/** What one request brings to its `Exchange`, by name. */
export interface ExchangeOptions {
  ctx: GatewayContext
  req: FastifyRequest
  reply: FastifyReply
  /** The client's wire protocol. */
  protocol: Protocol
  op: Operation
  body: Record<string, unknown>
  /** The body's text as the client sent it; undefined when the gateway changed the body (a resolved Responses input). */
  rawBody: string | undefined
  /** A Responses request: its input as resolved from stored responses, kept with its answer. */
  resolved: ResolvedInput | undefined
  route: CompiledRoute
  key: KeyRecord
  info: RequestSpanInfo
  /** The client's trace context (its `traceparent`), parent of the request span. */
  parent: Context
  /** The request span. */
  span: Span
  /** Response headers gathered so far (route, trace id, reservation…). */
  headers: Record<string, string>
  /** The `x-loopgate-task` header, forwarded upstream. */
  task: string | undefined
}

/** One request's state; also the input of the attempt loop (methods, not closures, per request). */
export class Exchange implements RunInput {
  readonly ctx: GatewayContext
  readonly req: FastifyRequest
  readonly reply: FastifyReply
  readonly protocol: Protocol
  readonly op: Operation
  readonly body: Record<string, unknown>
  readonly rawBody: string | undefined
  readonly resolved: ResolvedInput | undefined
  readonly route: CompiledRoute
  readonly key: KeyRecord
  readonly info: RequestSpanInfo
  readonly parent: Context
  readonly span: Span
  readonly headers: Record<string, string>
  readonly stream: boolean
  readonly order: Target[]
  readonly clientSignal = new Abort()
  readonly extraHeaders: Record<string, string>
  /** The budget reservation until it is settled. */
  hold: Hold | undefined
  /** The route's response cache, when it has one: a complete answer is kept there. */
  cache: CacheRequest | undefined
  private bytes: number | undefined

  /** The request body's size as sent, or as resolved (measured once: reservations and stream estimates both need it). */
  get bodyBytes(): number {
    return (this.bytes ??= Buffer.byteLength(this.rawBody ?? JSON.stringify(this.body)))
  }

  constructor(o: ExchangeOptions) {
    this.ctx = o.ctx
    this.req = o.req
    this.reply = o.reply
    this.protocol = o.protocol
    this.op = o.op
    this.body = o.body
    this.rawBody = o.rawBody
    this.resolved = o.resolved
    this.route = o.route
    this.key = o.key
    this.info = o.info
    this.parent = o.parent
    this.span = o.span
    this.headers = o.headers
    this.stream = o.body.stream === true
    this.order = targetOrder(o.ctx, o.req, o.route, o.body, o.info.sessionId)
    const beta = header(o.req, 'anthropic-beta')
    this.extraHeaders = NO_HEADERS
    if (o.task || beta) {
      this.extraHeaders = {}
      if (o.task) this.extraHeaders['x-loopgate-task'] = o.task
      if (beta) this.extraHeaders['anthropic-beta'] = beta
    }
  }

  bodyFor(target: Target): string {
    return upstreamText(this.protocol, this.op, this.body, this.rawBody ?? '', target, this.stream)
  }

  pathFor(target: Target): string {
    return upstreamPath(target.provider, this.op, adapterFor(target.provider, this.protocol))
  }

  startAttemptSpan(target: Target, attempt: number): Span {
    return startAttemptSpan(this.ctx.tracer, this.parent, this.span, this.info, target, attempt)
  }
}

const NO_TAGS: string[] = []

/** The route's candidate targets in the order this request tries them (a sticky session keeps its first draw). */
export function targetOrder(
  ctx: GatewayContext,
  req: FastifyRequest,
  route: CompiledRoute,
  body: Record<string, unknown>,
  sessionId: string | undefined,
): Target[] {
  const tags =
    header(req, 'x-loopgate-tags')
      ?.split(',')
      .map((t) => t.trim()) ?? NO_TAGS
  const candidates = candidateTargets(route, { tags, body, sessionId })
  const firstDraw =
    route.settings.sticky && sessionId ? stableUniform(`${route.name}\u0000${sessionId}`) : Math.random()
  return orderTargets(candidates, ctx.breakers, firstDraw)
}
