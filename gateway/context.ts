import type { Tracer } from '@opentelemetry/api'
import type { Logger } from 'pino'
import type { GatewaySettings } from './config.ts'
import type { ResponseCache } from './cache/index.ts'
import type { Breakers } from './policy/breaker.ts'
import type { Cooldowns } from './policy/cooldown.ts'
import type { Upstreams } from './policy/upstream.ts'
import type { ResponseStore } from './responses/store.ts'
import type { RoutingTable } from './routing/manager.ts'
import { ERROR_CODES, type EventReason, type GatewayError } from './errors.ts'
import type { GatewayMetrics } from './metrics.ts'
import type { Scoreboard } from './scoreboard.ts'
import type { KeyStateStore } from './tenancy/key-state-store.ts'
import type { VirtualKeys } from './tenancy/keys.ts'
import type { LimitStore } from './tenancy/limits.ts'

/** Everything a request handler needs, built once at start. */
export interface GatewayContext {
  settings: GatewaySettings
  keys: VirtualKeys
  /** Keys and limits managed through the admin API (persisted; shared through Redis). */
  keyState: KeyStateStore
  limits: LimitStore
  routing: RoutingTable
  breakers: Breakers
  cooldowns: Cooldowns
  scoreboard: Scoreboard
  upstreams: Upstreams
  tracer: Tracer
  logger: Logger
  /** Responses API answers kept for previous_response_id and GET /v1/responses/{id}. */
  responses: ResponseStore
  /** Every route's response cache (one store: memory, or Redis when configured). */
  responseCache: ResponseCache
  /** The Prometheus registry of /metrics (prom-client), with the refusal and failure counter. */
  metrics: GatewayMetrics
}

/** Counts a refusal or failure under its (closed) reason in `loopgate_gateway_events_total`. */
export function count(ctx: Pick<GatewayContext, 'metrics'>, reason: EventReason): void {
  ctx.metrics.events.inc({ reason })
}

/**
 * Counts an error sent to a client under its code's reason (ERROR_CODES). Codes counted where they
 * are decided (a limit's refusal, a failed route) have none; an upstream failure is counted as
 * `upstream` when the caller gives one.
 */
export function countError(ctx: Pick<GatewayContext, 'metrics'>, e: GatewayError, upstream?: EventReason): void {
  const reason = ERROR_CODES[e.code].reason ?? (e.code.startsWith('upstream_') ? upstream : undefined)
  if (reason) count(ctx, reason)
}
