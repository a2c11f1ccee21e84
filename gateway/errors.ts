import type { Protocol } from './providers/types.ts'

/** A refusal or failure the client sees, rendered in the client's protocol. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** OpenAI `error.type` / `error.code` flavour; Anthropic types are derived from the status. */
    readonly code: string,
    readonly headers: Record<string, string> = {},
    readonly param: string | null = null,
  ) {
    super(message)
  }
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 402: 'billing_error', 403: 'permission_error', 404: 'not_found_error',
  408: 'timeout_error', 413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 502: 'api_error', 503: 'overloaded_error', 504: 'timeout_error', 529: 'overloaded_error',
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 402: 'insufficient_quota', 403: 'permission_error', 404: 'not_found_error',
  413: 'invalid_request_error', 429: 'rate_limit_error', 500: 'server_error', 502: 'server_error', 503: 'server_error', 504: 'timeout_error',
}

export function errorBody(protocol: Protocol, status: number, message: string, code: string, param: string | null = null): unknown {
  if (protocol === 'anthropic') return { type: 'error', error: { type: ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } }
  return { error: { message, type: OPENAI_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), param, code } }
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

export const badRequest = (message: string, param: string | null = null) => new GatewayError(400, message, 'invalid_request', {}, param)
