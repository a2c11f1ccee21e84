import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { registerKeyAdmin } from './admin-keys.ts'
import { count, type GatewayContext } from './context.ts'
import { unitsToUsd } from '../lib/money.ts'

const sha = (s: string) => createHash('sha256').update(s).digest()

/** Admin API: the routing table (GET/PUT, versioned, audited), the target scoreboard, and virtual keys and limits (admin-keys.ts). */
export function registerAdmin(app: FastifyInstance, ctx: GatewayContext, adminToken: string | undefined): void {
  const expected = adminToken ? sha(adminToken) : undefined
  const authorize = (req: FastifyRequest): { status: number; message: string } | undefined => {
    if (!expected)
      return { status: 403, message: 'the admin API is disabled: configure adminToken (env LOOPGATE_ADMIN_TOKEN)' }
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')
    if (!m || !timingSafeEqual(sha(m[1]!.trim()), expected))
      return { status: 401, message: 'admin token required: send "Authorization: Bearer <admin token>"' }
    return undefined
  }

  app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      const denied = authorize(req)
      if (denied)
        return reply.code(denied.status).send({ error: { message: denied.message, type: 'authentication_error' } })
    })

    scope.get('/admin/routing', async () => {
      const s = ctx.routing.current
      return {
        version: s.version,
        updatedAt: s.updatedAt,
        routes: s.routes,
        droppedRoutes: ctx.routing.droppedRoutes(),
      }
    })

    scope.put('/admin/routing', async (req, reply) => {
      const body = (req.body ?? {}) as {
        routes?: unknown
        expectedVersion?: unknown
        reason?: unknown
        author?: unknown
        dropRoutes?: unknown
      }
      const refuse = (errors: string[], status: 400 | 409 | 503 = 400) => {
        count(
          ctx,
          status === 409
            ? 'routing_table_conflict'
            : status === 503
              ? 'routing_table_unavailable'
              : 'routing_table_refused',
        )
        if (status === 503) reply.header('retry-after', '1')
        const type = status === 409 ? 'conflict' : status === 503 ? 'unavailable' : 'invalid_request_error'
        return reply
          .code(status)
          .send({ error: { message: errors.join('; '), type, errors }, currentVersion: ctx.routing.current.version })
      }
      if (
        body.dropRoutes !== undefined &&
        !(Array.isArray(body.dropRoutes) && body.dropRoutes.every((n) => typeof n === 'string'))
      ) {
        return refuse(['dropRoutes: must be a list of route names'])
      }
      const expectedVersion = typeof body.expectedVersion === 'number' ? body.expectedVersion : undefined
      const result = await ctx.routing.replace(
        { routes: body.routes },
        {
          expectedVersion,
          reason: typeof body.reason === 'string' ? body.reason : undefined,
          author: typeof body.author === 'string' ? body.author : undefined,
          dropRoutes: body.dropRoutes as string[] | undefined,
        },
      )
      if (!result.ok) return refuse(result.errors, result.status)
      return {
        version: result.version,
        previousVersion: result.previousVersion,
        ...(result.droppedRoutes.length ? { droppedRoutes: result.droppedRoutes } : {}),
      }
    })

    scope.get('/admin/routing/audit', async (req) => {
      const limit = Math.min(1000, Math.max(1, Number((req.query as { limit?: string }).limit ?? 100) || 100))
      return { entries: await ctx.routing.audit(limit) }
    })

    scope.get('/admin/targets', async () => ({
      routingVersion: ctx.routing.current.version,
      targets: ctx.scoreboard.report(ctx.routing.current, ctx.breakers, ctx.cooldowns),
    }))

    scope.get('/admin/tenants/:id/spend', async (req) => {
      const id = (req.params as { id: string }).id
      const spent = await ctx.limits.spent(`t:${id}`, Date.now())
      return { tenant: id, today: unitsToUsd(spent.day), thisMonth: unitsToUsd(spent.month) }
    })

    registerKeyAdmin(scope, ctx)
  })
}
