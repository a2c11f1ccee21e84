import type { FastifyInstance } from 'fastify'
import { count, type GatewayContext } from '../context.ts'
import { authenticate } from '../endpoints/admission.ts'
import { GatewayError, errorBody } from '../errors.ts'

/** GET and DELETE /v1/responses/{id}: the responses this gateway kept, for the tenant that created them. */
export function registerStoredResponses(app: FastifyInstance, ctx: GatewayContext): void {
  const notFound = (id: string) =>
    new GatewayError(
      404,
      `no response "${id}" for this tenant: responses are kept ${Math.round(ctx.responses.ttlMs / 1000)} s in this gateway's memory, never with store: false`,
      'not_found',
      {},
      'response_id',
    )
  const fail = (err: unknown, reply: { code(n: number): { send(b: unknown): unknown } }) => {
    const e = err as GatewayError
    if (e.status === 401) count(ctx, 'unauthorized')
    return reply.code(e.status).send(errorBody('responses', e.status, e.message, e.code, e.param))
  }
  app.get<{ Params: { id: string } }>('/v1/responses/:id', async (req, reply) => {
    try {
      const key = authenticate(ctx, req)
      const stored = ctx.responses.get(key.tenantId, req.params.id)
      if (!stored) throw notFound(req.params.id)
      return stored.response
    } catch (err) {
      return fail(err, reply)
    }
  })
  app.delete<{ Params: { id: string } }>('/v1/responses/:id', async (req, reply) => {
    try {
      const key = authenticate(ctx, req)
      if (!ctx.responses.delete(key.tenantId, req.params.id)) throw notFound(req.params.id)
      return { id: req.params.id, object: 'response.deleted', deleted: true }
    } catch (err) {
      return fail(err, reply)
    }
  })
}
