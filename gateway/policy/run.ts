import { SpanStatusCode, type Span } from '@opentelemetry/api'
import { GatewayError } from '../errors.ts'
import type { CompiledRoute, Target } from '../routing/table.ts'
import type { Scoreboard } from '../scoreboard.ts'
import type { Abort } from './abort.ts'
import { retryDelay } from './backoff.ts'
import type { Breakers } from './breaker.ts'
import type { Cooldowns } from './cooldown.ts'
import { callUpstream, type AttemptOutcome, type Upstreams } from './upstream.ts'
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '../../lib/attributes.ts'

export interface RunDeps {
  upstreams: Upstreams
  breakers: Breakers
  cooldowns: Cooldowns
  scoreboard: Scoreboard
}

export interface RunInput {
  route: CompiledRoute
  order: Target[]
  stream: boolean
  clientSignal: Abort
  /** The upstream path for a target (its protocol's endpoint for this request). */
  pathFor(target: Target): string
  /** The upstream body for a target (translation included); may throw a GatewayError. */
  bodyFor(target: Target): string
  startAttemptSpan(target: Target, attempt: number): Span
  extraHeaders: Record<string, string>
}

export type RunResult =
  | {
      kind: 'ok'
      target: Target
      attempt: number
      outcome: Extract<AttemptOutcome, { kind: 'ok' }>
      signal: Abort
      done(): void
      span: Span
      startedAt: number
      /** For a stream, call once it ended: a cut stream is a failed attempt (breaker and scoreboard). No-op otherwise. */
      verdict(ok: boolean, error?: string): void
      /** The stream ended without a verdict on the target (the client left). */
      release(): void
    }
  /** `routeFailed`: every candidate failed or none could be tried (not a request the upstream refused as wrong). */
  | { kind: 'failed'; error: GatewayError; attempts: number; routeFailed: boolean }
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
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, o.status)
    span.setAttribute(ATTR_ERROR_TYPE, String(o.status))
    span.setStatus({ code: SpanStatusCode.ERROR, message: o.message })
  } else if (o.kind === 'timeout' || o.kind === 'connection') {
    span.setAttribute(ATTR_ERROR_TYPE, o.kind)
    span.setStatus({ code: SpanStatusCode.ERROR, message: o.message })
  } else if (o.kind === 'aborted') span.setAttribute(ATTR_ERROR_TYPE, 'client_disconnected')
  span.end()
}

function finalError(o: AttemptOutcome | undefined, route: string, coolingMs: number): GatewayError {
  if (!o && coolingMs > 0) {
    return new GatewayError(
      429,
      `every target of route "${route}" is rate limited; retry later`,
      'rate_limit_exceeded',
      { 'retry-after': String(Math.ceil(coolingMs / 1000)) },
    )
  }
  if (!o)
    return new GatewayError(
      503,
      `every target of route "${route}" is unavailable (circuit open); retry later`,
      'targets_unavailable',
      { 'retry-after': '5' },
    )
  if (o.kind === 'http_error') {
    const headers: Record<string, string> =
      o.retryAfterMs !== undefined ? { 'retry-after': String(Math.ceil(o.retryAfterMs / 1000)) } : {}
    return new GatewayError(o.status, o.message, o.status === 429 ? 'rate_limit_exceeded' : 'upstream_error', headers)
  }
  if (o.kind === 'timeout') return new GatewayError(504, `upstream timed out: ${o.message}`, 'upstream_timeout')
  return new GatewayError(
    502,
    `upstream unreachable: ${o.kind === 'connection' ? o.message : 'aborted'}`,
    'upstream_unreachable',
  )
}

/** The route failed: every candidate failed or none could be tried. */
const routeFailed = (error: GatewayError, attempts: number): RunResult => ({
  kind: 'failed',
  error,
  attempts,
  routeFailed: true,
})

/**
 * The next untried candidate: the first one in order that is not cooling down after a 429; when
 * all that are left are cooling, the one back soonest (if within the longest wait). Breaker-open
 * targets were left out of the order; the caller claims a half-open one's trial.
 */
function nextCandidate(
  pending: Target[],
  cooldowns: Cooldowns,
  maxWaitMs: number,
): { target: Target; waitMs: number } | undefined {
  let best = -1
  let bestWait = Infinity
  for (let i = 0; i < pending.length && bestWait > 0; i++) {
    const wait = cooldowns.remainingMs(pending[i]!.id)
    if (wait < bestWait) {
      best = i
      bestWait = wait
    }
  }
  if (best < 0 || bestWait > maxWaitMs) return undefined
  return { target: pending.splice(best, 1)[0]!, waitMs: bestWait }
}

/**
 * The route's policy: a 429 cools its target down (Retry-After or the default) and moves on to the
 * next candidate, retrying the same target (after Retry-After / backoff, up to maxRetries) only when
 * no other candidate is left; 5xx, timeouts and connection errors feed the breaker and move on;
 * at most maxAttempts attempts in all.
 */
export async function runAttempts(deps: RunDeps, input: RunInput): Promise<RunResult> {
  const policy = input.route.settings.policy
  const maxWait = policy.retry.maxDelayMs
  const pending = input.order.slice()
  let attempt = 0
  let last: AttemptOutcome | undefined
  let current: { target: Target; body: string } | undefined
  let retries = 0
  while (attempt < policy.maxAttempts) {
    let target: Target | undefined
    let waitMs: number
    let body: string
    const rateLimited = last?.kind === 'http_error' && last.status === 429
    const next =
      rateLimited && !policy.fallbackOn.includes('429') ? undefined : nextCandidate(pending, deps.cooldowns, maxWait)
    if (next) {
      target = next.target
      waitMs = next.waitMs
      body = input.bodyFor(target)
      if (!deps.breakers.tryAcquire(target.id)) continue
      retries = 0
    } else if (current && rateLimited && retries < policy.retry.maxRetries) {
      // No other candidate: the same target again, once it may be asked.
      const delay = retryDelay(retries, (last as { retryAfterMs?: number }).retryAfterMs, policy.retry)
      if (delay === undefined) break
      waitMs = Math.max(delay, deps.cooldowns.remainingMs(current.target.id))
      if (waitMs > maxWait || !deps.breakers.tryAcquire(current.target.id)) break
      target = current.target
      body = current.body
      retries++
    } else break
    current = { target, body }
    if (waitMs > 0) {
      await sleep(waitMs, input.clientSignal)
      if (input.clientSignal.aborted) {
        deps.breakers.release(target.id)
        return { kind: 'aborted' }
      }
    }
    attempt++
    const span = input.startAttemptSpan(target, attempt)
    const startedAt = performance.now()
    const r = await callUpstream({
      upstreams: deps.upstreams,
      provider: target.provider,
      path: input.pathFor(target),
      body,
      stream: input.stream,
      timeouts: policy.timeouts,
      clientSignal: input.clientSignal,
      extraHeaders: input.extraHeaders,
    })
    const o = r.outcome
    const ms = performance.now() - startedAt
    if (o.kind === 'ok') {
      const id = target.id
      // A stream's verdict waits for its end: one cut mid-way is a failed attempt.
      const verdict = (ok: boolean, error?: string) => {
        if (ok) deps.breakers.success(id)
        else deps.breakers.failure(id, policy.breaker.failureThreshold, policy.breaker.cooldownMs)
        deps.scoreboard.record(id, ok, ms, error)
      }
      if (!input.stream) verdict(true)
      return {
        kind: 'ok',
        target,
        attempt,
        outcome: o,
        signal: r.signal,
        done: r.done,
        span,
        startedAt,
        verdict: input.stream ? verdict : noVerdict,
        release: () => deps.breakers.release(id),
      }
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
      const cool = Math.min(policy.rateLimitCooldown.maxMs, o.retryAfterMs ?? policy.rateLimitCooldown.defaultMs)
      if (cool > 0) deps.cooldowns.coolDown(target.id, cool, 'rate limited (429)')
      continue
    }
    if (o.kind === 'http_error' && o.status < 500) {
      // The request itself is wrong: no other target will like it better.
      deps.breakers.success(target.id)
      deps.scoreboard.record(target.id, true, ms)
      return { kind: 'failed', error: finalError(o, input.route.name, 0), attempts: attempt, routeFailed: false }
    }
    deps.breakers.failure(target.id, policy.breaker.failureThreshold, policy.breaker.cooldownMs)
    deps.scoreboard.record(target.id, false, ms, o.kind === 'http_error' ? `${o.status}: ${o.message}` : o.message)
    const reason = o.kind === 'http_error' ? '5xx' : o.kind
    if (!policy.fallbackOn.includes(reason)) return routeFailed(finalError(o, input.route.name, 0), attempt)
  }
  // Nothing tried because every candidate cools down longer than we wait: say when to come back.
  let coolingMs = 0
  if (!last)
    for (const t of pending) {
      const w = deps.cooldowns.remainingMs(t.id)
      if (w > 0 && (coolingMs === 0 || w < coolingMs)) coolingMs = w
    }
  return routeFailed(finalError(last, input.route.name, coolingMs), attempt)
}

const noVerdict = () => {}
