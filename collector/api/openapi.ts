import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

/** OpenAPI 3 from the routes' schemas, at /api/openapi.json, and a browsable UI at /api/docs. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Loopgate collector query API',
        version: '1',
        description:
          'Sessions, traces, chargeback, scores, route statistics and routing decisions. Times are UTC nanoseconds as strings; money is an exact decimal string in USD.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'admin token or tenant read key' } },
      },
      security: [{ bearer: [] }],
    },
  })
  // indexPrefix: without a trailing slash the page links its assets absolutely, and those links
  // must include the /api this plugin is registered under (else /api/docs is a blank page).
  await app.register(swaggerUi, { routePrefix: '/docs', indexPrefix: app.prefix })
}

export function registerOpenApiJson(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
