import type { FastifyInstance } from 'fastify'
import { callerOf } from './caller.ts'
import type { Me } from './types.ts'

/** Who the token is: what the dashboard shows as the signed-in identity and whether it may annotate. */
export function registerMe(app: FastifyInstance): void {
  app.get(
    '/me',
    { schema: { summary: 'The calling key: admin or tenant, its key id, whether it may post scores', tags: ['auth'] } },
    async (req): Promise<Me> => {
      const caller = callerOf(req)
      return caller.kind === 'admin'
        ? { kind: 'admin', tenant_id: null, key_id: caller.keyId, may_annotate: true }
        : { kind: 'tenant', tenant_id: caller.tenantId, key_id: caller.keyId, may_annotate: !caller.readOnly }
    },
  )
}
