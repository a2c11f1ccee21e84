import type { FastifyRequest } from 'fastify'
import { idProblem } from '../../lib/limits.ts'
import type { GatewaySettings } from '../config.ts'
import { badRequest } from '../errors.ts'

/** A request header's value, when it is one non-empty string. */
export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name]
  return typeof v === 'string' && v ? v : undefined
}

function checked(field: string, value: string | undefined): string | undefined {
  const problem = value === undefined ? undefined : idProblem(field, value)
  if (problem) throw badRequest(problem, field)
  return value
}

/**
 * The ids a client chooses (session, user), refused at the edge with 400 when the collector would
 * refuse the spans that carry them (lib/limits.ts): what the gateway accepts is always stored and scored.
 */
export function clientIds(
  req: FastifyRequest,
  body: Record<string, unknown>,
  settings: Pick<GatewaySettings, 'sessionHeader' | 'userHeader'>,
): { sessionId: string | undefined; userId: string | undefined } {
  const sessionId = checked(settings.sessionHeader, header(req, settings.sessionHeader))
  const userId =
    checked(settings.userHeader, header(req, settings.userHeader)) ??
    checked('user', typeof body.user === 'string' ? body.user : undefined)
  return { sessionId, userId }
}
