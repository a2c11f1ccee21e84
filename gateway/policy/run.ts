import { SpanStatusCode, type Span } from '@opentelemetry/api'
import { GatewayError } from '../errors.ts'
import type { Operation } from '../providers/types.ts'
import type { CompiledRoute, Target } from '../routing/table.ts'
import type { Scoreboard } from '../scoreboard.ts'
import type { Abort } from './abort.ts'
import { retryDelay } from './backoff.ts'
import type { Breakers } from './breaker.ts'
import { callUpstream, type AttemptOutcome, type Upstreams } from './upstream.ts'

export interface RunDeps {
  upstreams: Upstreams
  breakers: Breakers
  scoreboard: Scoreboard
}

export interface RunInput {
  route: CompiledRoute
  order: Target[]
  op: Operation
  stream: boolean
  clientSignal: Abort
  /** The upstream body for a target (translation included); may throw a GatewayError. */
  bodyFor(target: Target): string
  startAttemptSpan(target: Target, attempt: number): Span
  extraHeaders: Record<string, string>
}

export type RunResult =
  | { kind: 'ok'; target: Target; attempt: number; outcome: Extract<AttemptOutcome, { kind: 'ok' }>; signal: Abort; done(): void; span: Span; startedAt: number }
  | { kind: 'failed'; error: GatewayError }
  | { kind: 'aborted' }

const sleep = (ms: number, signal: Abort) =>
  new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(t)
      signal.off('abort', wake)
      resolve()
    }
    const t = setTimeout(wake, ms)
    signal.once('abort', wake)
  })

function failSpan(span: Span, o: AttemptOutcome): void {
  if (o.kind === 'http_error') {
    span.setAttribute('http.response.status_code', o.status)
    span.setAttribute('error.type', String(o.status))
    span.setStatus({ code: SpanStatusCode.ERROR, message: o.message })
  } else if (o.kind === 'timeout' || o.kind === 'connection') {
    span.setAttribute('error.type', o.kind)
    span.setStatus({ code: SpanStatusCode.ERROR, message: o.message })
  } else if (o.kind === 'aborted') span.setAttribute('error.type', 'client_disconnected')
  span.end()
}

function finalError(o: AttemptOutcome | undefined, route: string): GatewayError {
  if (!o) return new GatewayError(503, `every target of route "${route}" is unavailable (circuit open); retry later`, 'targets_unavailable', { 'retry-after': '5' })
  if (o.kind === 'http_error') {
    const headers: Record<string, string> = o.retryAfterMs !== undefined ? { 'retry-after': String(Math.ceil(o.retryAfterMs / 1000)) } : {}
    return new GatewayError(o.status, o.message, o.status === 429 ? 'rate_limit_exceeded' : 'upstream_error', headers)
  }
  if (o.kind === 'timeout') return new GatewayError(504, `upstream timed out: ${o.message}`, 'upstream_timeout')
  return new GatewayError(502, `upstream unreachable: ${o.kind === 'connection' ? o.message : 'aborted'}`, 'upstream_unreachable')
}

/**
 * The route's policy: retry a 429 on the same target (Retry-After, backoff, jitter, capped), fall back
 * to the next target on 5xx / timeouts / connection errors, stop at maxAttempts, feed the breakers.
 */
export async function runAttempts(deps: RunDeps, input: RunInput): Promise<RunResult> {
  const policy = input.route.settings.policy
  let attempt = 0
  let last: AttemptOutcome | undefined
  for (const target of input.order) {
    if (attempt >= policy.maxAttempts) break
    const body = input.bodyFor(target)
    if (!deps.breakers.tryAcquire(target.id)) continue
    for (let retry = 0; attempt < policy.maxAttempts; retry++) {
      attempt++
      const span = input.startAttemptSpan(target, attempt)
      const startedAt = performance.now()
      const r = await callUpstream({ upstreams: deps.upstreams, provider: target.provider, op: input.op, body, stream: input.stream, timeouts: policy.timeouts, clientSignal: input.clientSignal, extraHeaders: input.extraHeaders })
      const o = r.outcome
      const ms = performance.now() - startedAt
      if (o.kind === 'ok') {
        deps.breakers.success(target.id)
        deps.scoreboard.record(target.id, true, ms)
        return { kind: 'ok', target, attempt, outcome: o, signal: r.signal, done: r.done, span, startedAt }
      }
      r.done()
      last = o
      failSpan(span, o)
      if (o.kind === 'aborted') {
        deps.breakers.release(target.id)
        return { kind: 'aborted' }
      }
      if (o.kind === 'http_error' && o.status === 429) {
        deps.breakers.release(target.id)
        deps.scoreboard.record(target.id, false, ms, 'rate limited (429)')
        const delay = retry < policy.retry.maxRetries && attempt < policy.maxAttempts ? retryDelay(retry, o.retryAfterMs, policy.retry) : undefined
        if (delay !== undefined) {
          await sleep(delay, input.clientSignal)
          if (input.clientSignal.aborted) return { kind: 'aborted' }
          continue
        }
        if (!policy.fallbackOn.includes('429')) return { kind: 'failed', error: finalError(o, input.route.name) }
        break
      }
      if (o.kind === 'http_error' && o.status < 500) {
        // The request itself is wrong: no other target will like it better.
        deps.breakers.success(target.id)
        deps.scoreboard.record(target.id, true, ms)
        return { kind: 'failed', error: finalError(o, input.route.name) }
      }
      deps.breakers.failure(target.id, policy.breaker.failureThreshold, policy.breaker.cooldownMs)
      deps.scoreboard.record(target.id, false, ms, o.kind === 'http_error' ? `${o.status}: ${o.message}` : o.message)
      const reason = o.kind === 'http_error' ? '5xx' : o.kind
      if (!policy.fallbackOn.includes(reason)) return { kind: 'failed', error: finalError(o, input.route.name) }
      break
    }
  }
  return { kind: 'failed', error: finalError(last, input.route.name) }
}
