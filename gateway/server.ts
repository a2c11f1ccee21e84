import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import { registerAdmin } from './admin.ts'
import { count, countError, type GatewayContext } from './context.ts'
import { countTokensEndpoint } from './endpoints/count-tokens.ts'
import { authenticate, routeFor } from './endpoints/admission.ts'
import { handle } from './endpoints/pipeline.ts'
import { registerStoredResponses } from './responses/routes.ts'
import { ERROR_CODES, GatewayError, errorBody, fastifyErrorCode } from './errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as received. */
    rawBody: string
  }
}

const protocolOf = (url: string) => (url.startsWith('/v1/messages') ? 'anthropic' : 'openai')

/** The HTTP face: OpenAI- and Anthropic-compatible endpoints, admin API, health and metrics. */
export function buildServer(ctx: GatewayContext, adminToken: string | undefined): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.settings.maxBodyBytes,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
  })

  // Fastify's own JSON parser (prototype poisoning refused), keeping the text: forwarded as-is when it can be.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.decorateRequest('rawBody', '')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => {
    req.rawBody = text as string
    parseJson(req, text as string, done)
  })

  app.post('/v1/chat/completions', (req, reply) => handle(ctx, req, reply, 'openai', 'chat'))
  app.post('/v1/responses', (req, reply) => handle(ctx, req, reply, 'responses', 'chat'))
  registerStoredResponses(app, ctx)
  app.post('/v1/embeddings', (req, reply) => handle(ctx, req, reply, 'openai', 'embeddings'))
  app.post('/v1/messages', (req, reply) => handle(ctx, req, reply, 'anthropic', 'chat'))
  app.post('/v1/messages/count_tokens', (req, reply) => countTokensEndpoint(ctx, req, reply))

  const modelObject = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'loopgate' })
  app.get('/v1/models', async (req, reply) => {
    try {
      const key = authenticate(ctx, req)
      const names = [...ctx.routing.current.byName.keys()].filter((n) => !key.routes || key.routes.has(n))
      return { object: 'list', data: names.map(modelObject) }
    } catch (err) {
      const e = err as GatewayError
      countError(ctx, e)
      return reply.code(e.status).send(errorBody('openai', e.status, e.message, e.code))
    }
  })
  // A wildcard: route names may contain '/', sent raw (`/v1/models/team/chat`) or encoded (`team%2Fchat`, the SDKs).
  app.get('/v1/models/*', async (req, reply) => {
    try {
      const key = authenticate(ctx, req)
      return modelObject(routeFor(ctx, key, (req.params as { '*': string })['*']).name)
    } catch (err) {
      const e = err as GatewayError
      countError(ctx, e)
      return reply.code(e.status).send(errorBody('openai', e.status, e.message, e.code, e.param))
    }
  })

  app.get('/healthz', async () => ({ ok: true, routingVersion: ctx.routing.current.version }))
  app.get('/metrics', async (_req, reply) =>
    reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  )
  registerAdmin(app, ctx, adminToken)

  // Fastify's own refusals (bad JSON, body too large, wrong content type) in the caller's protocol.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
    const message =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body larger than ${ctx.settings.maxBodyBytes} bytes`
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'send the body as JSON with "Content-Type: application/json"'
          : status === 400
            ? `the request body is not valid JSON: ${err.message}`
            : err.message
    if (status >= 500) ctx.logger.error({ err }, 'unhandled gateway error')
    const code = fastifyErrorCode(status)
    count(ctx, ERROR_CODES[code].reason)
    reply.code(status).send(errorBody(protocolOf(req.url), status, message, code))
  })
  app.setNotFoundHandler((req, reply) => {
    count(ctx, 'not_found')
    reply
      .code(404)
      .send(errorBody(protocolOf(req.url), 404, `no endpoint ${req.method} ${req.url.split('?')[0]}`, 'not_found'))
  })
  return app
}
