import type { Protocol } from './providers/types.ts'

/**
 * Every reason `loopgate_gateway_events_total{reason}` counts (DESIGN rule 4). Closed: a reason not
 * listed here does not compile, so no call site invents a series. Documented in docs/gateway.md.
 */
export const EVENT_REASONS = [
  'invalid_request',
  'unauthorized',
  'body_too_large',
  'unsupported_media_type',
  'unknown_model',
  'not_found',
  'refused_rpm',
  'refused_tpm',
  'refused_usd_per_day',
  'refused_usd_per_month',
  'route_failed',
  'count_tokens_failed',
  'client_disconnected',
  'client_gone',
  'upstream_failed',
  'settle_failed',
  'internal_error',
  'limits_unavailable',
  'limits_local_fallback',
  'routing_table_refused',
  'routing_table_conflict',
  'routing_table_unavailable',
  'keys_admin_refused',
  'keys_admin_not_found',
  'keys_admin_conflict',
  'keys_admin_unavailable',
] as const
export type EventReason = (typeof EVENT_REASONS)[number]

export interface ErrorSpec {
  /** The HTTP status the code is sent with (`upstream_error` passes the upstream's own status instead). */
  status: number
  /** Whether sending the same request again can succeed (after Retry-After when the answer has one). */
  retryable: boolean
  /** The reason it is counted under; undefined when it is counted where it is decided, by a finer reason (named in `countedAs`). */
  reason: EventReason | undefined
  countedAs?: readonly EventReason[]
}

/**
 * Every `error.code` a client can receive (OpenAI flavour; Anthropic bodies carry the type derived
 * from the status): its status, retryability and metric reason. Closed: GatewayError takes only these.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, retryable: false, reason: 'invalid_request' },
  body_too_large: { status: 413, retryable: false, reason: 'body_too_large' },
  unsupported_media_type: { status: 415, retryable: false, reason: 'unsupported_media_type' },
  missing_api_key: { status: 401, retryable: false, reason: 'unauthorized' },
  invalid_api_key: { status: 401, retryable: false, reason: 'unauthorized' },
  model_not_found: { status: 404, retryable: false, reason: 'unknown_model' },
  not_found: { status: 404, retryable: false, reason: 'not_found' },
  budget_exceeded: {
    status: 402,
    retryable: false,
    reason: undefined,
    countedAs: ['refused_usd_per_day', 'refused_usd_per_month'],
  },
  // The gateway's own rpm/tpm limit, or every target rate limited upstream (a failed route).
  rate_limit_exceeded: {
    status: 429,
    retryable: true,
    reason: undefined,
    countedAs: ['refused_rpm', 'refused_tpm', 'route_failed'],
  },
  limits_unavailable: { status: 503, retryable: true, reason: undefined, countedAs: ['limits_unavailable'] },
  targets_unavailable: { status: 503, retryable: true, reason: undefined, countedAs: ['route_failed'] },
  no_target: { status: 503, retryable: true, reason: 'count_tokens_failed' },
  upstream_error: {
    status: 502,
    retryable: false,
    reason: undefined,
    countedAs: ['route_failed', 'count_tokens_failed'],
  },
  upstream_timeout: {
    status: 504,
    retryable: true,
    reason: undefined,
    countedAs: ['route_failed', 'count_tokens_failed'],
  },
  upstream_unreachable: {
    status: 502,
    retryable: true,
    reason: undefined,
    countedAs: ['route_failed', 'count_tokens_failed'],
  },
  upstream_invalid_response: {
    status: 502,
    retryable: false,
    reason: undefined,
    countedAs: ['route_failed', 'count_tokens_failed'],
  },
  internal_error: { status: 500, retryable: false, reason: 'internal_error' },
} as const satisfies Record<string, ErrorSpec>
export type ErrorCode = keyof typeof ERROR_CODES

/** A refusal or failure the client sees, rendered in the client's protocol. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** OpenAI `error.type` / `error.code` flavour; Anthropic types are derived from the status. */
    readonly code: ErrorCode,
    readonly headers: Record<string, string> = {},
    readonly param: string | null = null,
  ) {
    super(message)
  }
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
  500: 'server_error',
  502: 'server_error',
  503: 'server_error',
  504: 'timeout_error',
}

export function errorBody(
  protocol: Protocol,
  status: number,
  message: string,
  code: ErrorCode,
  param: string | null = null,
): unknown {
  if (protocol === 'anthropic')
    return {
      type: 'error',
      error: { type: ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message },
    }
  return {
    error: {
      message,
      type: OPENAI_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param,
      code,
    },
  }
}

/** The message inside an upstream error body of either protocol, else a short excerpt of the text. */
export function upstreamErrorMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown }
    if (typeof json.error === 'string') return json.error
    if (json.error && typeof json.error.message === 'string') return json.error.message
    if (typeof json.message === 'string') return json.message
  } catch {
    /* not JSON: fall through */
  }
  return text.slice(0, 300) || 'no error body'
}

export const badRequest = (message: string, param: string | null = null) =>
  new GatewayError(400, message, 'invalid_request', {}, param)

/** The closed code of a Fastify refusal (its own codes, such as FST_ERR_CTP_BODY_TOO_LARGE, never reach a client). */
export const fastifyErrorCode = (
  status: number,
): 'body_too_large' | 'unsupported_media_type' | 'invalid_request' | 'internal_error' =>
  status === 413
    ? 'body_too_large'
    : status === 415
      ? 'unsupported_media_type'
      : status < 500
        ? 'invalid_request'
        : 'internal_error'
