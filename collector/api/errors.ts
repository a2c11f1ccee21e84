import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import type { ZodError } from 'zod'
import type { CollectorMetrics } from '../metrics.ts'
import type { ApiErrorBody } from './types.ts'

/**
 * Every error code of the query API: its HTTP status and whether the same request can succeed
 * later. The code is the label of `loopgate_collector_api_errors_total{code}`. Closed: an ApiError
 * takes only these statuses.
 */
export const API_ERRORS = {
  invalid_request: { status: 400, retryable: false },
  unauthorized: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  conflict: { status: 409, retryable: false },
  too_large: { status: 413, retryable: false },
  unsupported_media_type: { status: 415, retryable: false },
  internal: { status: 500, retryable: true },
  // The admin relay: the gateway refused the collector's token or could not be reached, or none is configured.
  bad_gateway: { status: 502, retryable: true },
  unavailable: { status: 503, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>
export type ApiErrorCode = keyof typeof API_ERRORS
export type ApiStatus = (typeof API_ERRORS)[ApiErrorCode]['status']

const CODE_OF = new Map<number, ApiErrorCode>(
  Object.entries(API_ERRORS).map(([code, spec]) => [spec.status, code as ApiErrorCode]),
)

/** A refusal with an HTTP status (one code each) and a message meant for the caller. */
export class ApiError extends Error {
  readonly code: ApiErrorCode
  constructor(
    readonly status: ApiStatus,
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.code = CODE_OF.get(status) ?? 'internal'
  }
}

export const notFound = (what: string) => new ApiError(404, `${what} not found`)

/** Client-chosen ids (trace, session) may repeat across tenants: the admin then has to say whose. */
export const ambiguousTenant = (what: string, tenants: string[]) =>
  new ApiError(409, `${what} exists for several tenants (${[...tenants].sort().join(', ')}): add tenant=<id>`, 'tenant')

/** `limit: Too big: expected number to be <=1000` → ApiError(400) naming the first bad field. */
export function fromZodError(err: ZodError, part: 'query' | 'body' | 'params'): ApiError {
  const issue = err.issues[0]
  const path =
    issue?.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[') ?? ''
  const field = path || undefined
  const where = field ? `${part} field "${field}"` : part
  return new ApiError(400, `invalid ${where}: ${issue?.message ?? 'invalid value'}`, field)
}

export function errorBody(message: string, field?: string): ApiErrorBody {
  return { error: field ? { message, field } : { message } }
}

/** Every error under /api becomes `{ error: { message, field? } }`, counted by code; 5xx details stay in the log. */
export function installErrorHandler(
  app: FastifyInstance,
  logger: Logger,
  metrics: Pick<CollectorMetrics, 'apiErrors'>,
): void {
  const send = (reply: FastifyReply, e: ApiError) => {
    metrics.apiErrors.inc({ code: e.code })
    return reply.code(e.status).send(errorBody(e.message, e.field))
  }
  app.setErrorHandler((err: FastifyError | ApiError, _req, reply) =>
    send(reply, err instanceof ApiError ? err : fromFastify(err, logger)),
  )
  app.setNotFoundHandler((req, reply) =>
    send(reply, new ApiError(404, `no such endpoint: ${req.method} ${req.url.split('?')[0]}`)),
  )
}

/** Fastify's own refusals (its codes never reach a caller); another 4xx is a bad request, anything else an internal error. */
function fromFastify(fe: FastifyError, logger: Logger): ApiError {
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError(413, 'request body is too large')
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ApiError(415, 'send the body as application/json')
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return new ApiError(CODE_OF.has(fe.statusCode) ? (fe.statusCode as ApiStatus) : 400, fe.message)
  logger.error({ err: fe }, 'query API request failed')
  return new ApiError(500, 'internal error; see the collector log')
}
