import type { FastifyInstance, FastifyRequest } from 'fastify'
import { bearerToken, type Caller, type KeyRing } from '../auth.ts'
import type { CollectorMetrics } from '../metrics.ts'
import { ApiError } from './errors.ts'

export type ReadCaller = Exclude<Caller, { kind: 'anonymous' }>

declare module 'fastify' {
  interface FastifyRequest {
    caller?: ReadCaller
  }
}

/** Paths under /api that anyone may read (the API's own description, not data). */
const PUBLIC = /^\/api\/(openapi\.json|docs)(\/|$|\?)/

/** Every data endpoint needs `Authorization: Bearer <admin token | tenant read key>`. */
export function installAuth(app: FastifyInstance, keys: KeyRing, metrics: CollectorMetrics): void {
  app.addHook('onRequest', async (req) => {
    if (PUBLIC.test(req.url)) return
    const token = bearerToken(req.headers.authorization)
    const caller = keys.readCaller(token)
    if (caller.kind !== 'anonymous') {
      req.caller = caller
      return
    }
    metrics.unauthorized.inc({ endpoint: 'api' })
    if (!token)
      throw new ApiError(401, 'missing credentials: send "Authorization: Bearer <admin token or tenant read key>"')
    throw new ApiError(
      401,
      'unknown token: use the admin token or a key listed under tenants[].readKeys (ingest keys only send spans)',
    )
  })
}

export function callerOf(req: FastifyRequest): ReadCaller {
  if (!req.caller) throw new ApiError(401, 'missing credentials')
  return req.caller
}

export function requireAdmin(req: FastifyRequest, what: string): void {
  if (callerOf(req).kind !== 'admin') throw new ApiError(403, `${what} needs the admin token`)
}

/**
 * Which tenant a request may see. A tenant key always sees exactly its own tenant; the admin
 * sees all tenants unless it narrows with `tenant=`. The SQL always filters with a
 * `{tenant:String}` parameter when a tenant applies.
 */
export class TenantScope {
  private constructor(readonly tenant: string | null) {}

  static of(req: FastifyRequest, requested?: string): TenantScope {
    const caller = callerOf(req)
    if (caller.kind === 'tenant') {
      if (requested !== undefined && requested !== caller.tenantId) {
        throw new ApiError(403, 'a tenant key may only read its own tenant', 'tenant')
      }
      return new TenantScope(caller.tenantId)
    }
    return new TenantScope(requested ?? null)
  }

  /** SQL condition on the tenant column (a constant fragment; the value travels as a parameter). */
  where(column = 'tenant_id'): string {
    return this.tenant === null ? '1 = 1' : `${column} = {tenant:String}`
  }

  params(): Record<string, string> {
    return this.tenant === null ? {} : { tenant: this.tenant }
  }
}
