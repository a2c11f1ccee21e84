import type { FastifyInstance } from 'fastify'
import type { CollectorDeps } from '../deps.ts'
import { registerAdmin } from './admin.ts'
import { registerBudgets } from './budgets.ts'
import { installAuth } from './caller.ts'
import { registerChargeback } from './chargeback.ts'
import { registerDecisions } from './decisions.ts'
import { registerFailureClusters } from './failure-clusters.ts'
import { registerMe } from './me.ts'
import { installErrorHandler } from './errors.ts'
import { registerOpenApi, registerOpenApiJson } from './openapi.ts'
import { registerRequests } from './requests.ts'
import { registerRouteStats } from './route-stats.ts'
import { registerScores } from './scores.ts'
import { registerSessions } from './sessions.ts'
import { registerTenants } from './tenants.ts'
import { registerTraces } from './traces.ts'

/**
 * The query API under /api: one small module per resource. Requests are validated with zod in
 * the handlers (so a 400 names the field); the routes' JSON schemas only describe them for OpenAPI.
 */
export async function registerQueryApi(app: FastifyInstance, deps: CollectorDeps): Promise<void> {
  await app.register(
    async (api) => {
      api.setValidatorCompiler(() => (data) => ({ value: data }))
      api.removeContentTypeParser('text/plain') // bodies are JSON only; anything else is a 415
      installErrorHandler(api, deps.logger, deps.metrics)
      installAuth(api, deps.keys, deps.metrics)
      await registerOpenApi(api)
      registerOpenApiJson(api)
      registerTraces(api, deps)
      registerSessions(api, deps)
      registerRequests(api, deps)
      registerChargeback(api, deps)
      registerScores(api, deps)
      registerRouteStats(api, deps)
      registerDecisions(api, deps)
      registerTenants(api, deps)
      registerBudgets(api, deps)
      registerAdmin(api, deps)
      registerMe(api)
      registerFailureClusters(api, deps)
    },
    { prefix: '/api' },
  )
}
