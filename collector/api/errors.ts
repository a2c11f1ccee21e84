import type { FastifyError, FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { ZodError } from 'zod'
import type { ApiErrorBody } from './types.ts'

/** A refusal with an HTTP status and a message meant for the caller. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) {
    super(message)
  }
}

export const notFound = (what: string) => new ApiError(404, `${what} not found`)

/** Client-chosen ids (trace, session) may repeat across tenants: the admin then has to say whose. */
export const ambiguousTenant = (what: string, tenants: string[]) =>
  new ApiError(409, `${what} exists for several tenants (${[...tenants].sort().join(', ')}): add tenant=<id>`, 'tenant')

/** `limit: Too big: expected number to be <=1000` → ApiError(400) naming the first bad field. */
export function fromZodError(err: ZodError, part: 'query' | 'body' | 'params'): ApiError {
  const issue = err.issues[0]
  const path = issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') ?? ''
  const field = path || undefined
  const where = field ? `${part} field "${field}"` : part
  return new ApiError(400, `invalid ${where}: ${issue?.message ?? 'invalid value'}`, field)
}

export function errorBody(message: string, field?: string): ApiErrorBody {
  return { error: field ? { message, field } : { message } }
}

/** Every error under /api becomes `{ error: { message, field? } }`; 5xx details stay in the log. */
export function installErrorHandler(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | ApiError, _req, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send(errorBody(err.message, err.field))
    const fe = err as FastifyError
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(errorBody('request body is too large'))
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send(errorBody('send the body as application/json'))
    const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500
    if (status === 500) {
      logger.error({ err }, 'query API request failed')
      return reply.code(500).send(errorBody('internal error; see the collector log'))
    }
    return reply.code(status).send(errorBody(fe.message))
  })
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody(`no such endpoint: ${req.method} ${req.url.split('?')[0]}`)))
}
