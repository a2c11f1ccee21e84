import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { bearerToken, isLoopback } from '../auth.ts'
import type { CollectorDeps } from '../deps.ts'
import type { Ticket } from '../ingest/admission.ts'
import { IngestError } from '../ingest/errors.ts'
import type { NormalizeContext } from '../normalize/index.ts'
import { OtlpDecodeError, decodeJson, decodeProtobuf, encodeResponseProtobuf } from './decode.ts'
import { REFUSALS, type RefusalReason } from './errors.ts'
import { encodeStatus, grpcCodeFor } from './status.ts'

const inflate = promisify(gunzip)
const PROTOBUF = 'application/x-protobuf'
const JSON_TYPE = 'application/json'
/** Ingest reads attribute values only as their stored text. */
const INGEST_DECODING = { scalarsAsText: true }

/** An OTLP-shaped refusal: a closed reason (its status in REFUSALS), a message that says what is wrong, optional Retry-After. */
class Refusal extends Error {
  readonly status: number
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
    this.status = REFUSALS[reason].status
  }
}

/**
 * OTLP/HTTP trace receiver (`POST /v1/traces`): protobuf or JSON, optionally gzip. It admits,
 * decodes and authenticates a request, hands it to ingest (`consume`), and maps the outcome to an
 * OTLP answer. It answers only after the spans are stored, so an acknowledged span is never lost.
 */
export async function registerOtlpReceiver(app: FastifyInstance, deps: CollectorDeps): Promise<void> {
  const { settings, keys, metrics, ingest, admission } = deps
  const tickets = new WeakMap<FastifyRequest['raw'], Ticket>()

  // Admission runs before the body is read: a refused request costs no memory and is answered at once.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST') return
    let ticket: Ticket
    try {
      const declared = Number(req.headers['content-length'])
      ticket = admission.admit(Number.isFinite(declared) && declared > 0 ? declared : undefined)
    } catch (err) {
      if (err instanceof IngestError) {
        // The body is not read: closing the connection spares reading (and buffering) it only to
        // throw it away. The exporter reads the 429 and its Retry-After, and retries on a new connection.
        reply.header('connection', 'close')
        return refuse(req, reply, refusalOf(err))
      }
      throw err
    }
    tickets.set(req.raw, ticket)
    reply.raw.once('close', () => ticket.done(false))
  })

  // This scope reads raw bytes; other content types are refused in the handler with a clear 415.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings.maxBodyBytes }, (_req, body, done) =>
    done(null, body),
  )

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return refuse(
        req,
        reply,
        new Refusal(
          'too_large',
          `request body exceeds the limit of ${settings.maxBodyBytes} bytes; send smaller batches`,
        ),
      )
    }
    const clientError = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
    if (!clientError) deps.logger.error({ err }, 'OTLP request failed')
    return refuse(
      req,
      reply,
      clientError ? new Refusal('bad_request', err.message) : new Refusal('internal', 'internal error'),
    )
  })

  function tenantContext(req: FastifyRequest): NormalizeContext {
    const token = bearerToken(req.headers.authorization)
    if (token) {
      const caller = keys.ingestCaller(token)
      if (caller.kind === 'admin') return { tenantId: 'default', trustTenantAttribute: true }
      if (caller.kind === 'tenant') return { tenantId: caller.tenantId, trustTenantAttribute: false }
      throw new Refusal(
        'unauthorized',
        'unknown ingest key: send "Authorization: Bearer <ingest key>" with a key configured under tenants[].ingestKeys',
      )
    }
    if (settings.allowLoopbackWithoutKey && isLoopback(req.socket.remoteAddress))
      return { tenantId: 'default', trustTenantAttribute: false }
    throw new Refusal(
      'unauthorized',
      'missing ingest key: send "Authorization: Bearer <ingest key>" (unauthenticated ingest is accepted only from loopback)',
    )
  }

  async function readBody(req: FastifyRequest): Promise<Buffer> {
    const body = req.body as Buffer | undefined
    if (!body || body.length === 0)
      throw new Refusal('empty', 'empty request body: expected an ExportTraceServiceRequest')
    const encoding = encodingOf(req)
    if (encoding === 'identity') return body
    if (encoding !== 'gzip')
      throw new Refusal('encoding', `unsupported Content-Encoding "${encoding}": use gzip or none`)
    try {
      return await inflate(body, { maxOutputLength: settings.maxInflatedBytes })
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new Refusal(
          'too_large',
          `decompressed body exceeds the limit of ${settings.maxInflatedBytes} bytes; send smaller batches`,
        )
      }
      throw new Refusal('bad_gzip', `invalid gzip body: ${(err as Error).message}`)
    }
  }

  app.post('/v1/traces', async (req, reply) => {
    const type = mediaType(req)
    const ticket = tickets.get(req.raw)
    try {
      if (type !== PROTOBUF && type !== JSON_TYPE) {
        throw new Refusal(
          'content_type',
          `unsupported Content-Type "${type || '(none)'}": use ${PROTOBUF} or ${JSON_TYPE}`,
        )
      }
      const ctx = tenantContext(req)
      ticket?.resize((req.body as Buffer | undefined)?.length ?? 0)
      const wire = deps.forwarder ? (req.body as Buffer) : undefined // kept only when forwarding
      const body = await readBody(req)
      req.body = undefined // the decoded request replaces it; neither is held while the INSERT runs
      const result = await consumeBody(type, body, ctx)
      const { rejected, errors } = result
      ticket?.done(true)
      if (wire)
        afterAnswer(reply, () =>
          deps.forwarder!.offer({ body: wire, contentType: type, contentEncoding: encodingOf(req) }, result),
        )
      const partial = rejected > 0 ? { rejectedSpans: rejected, errorMessage: errors.join('; ') } : undefined
      if (type === PROTOBUF) return reply.type(PROTOBUF).send(Buffer.from(encodeResponseProtobuf(partial)))
      return reply
        .type(JSON_TYPE)
        .send(
          partial
            ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } }
            : {},
        )
    } catch (err) {
      if (err instanceof Refusal) return refuse(req, reply, err)
      if (err instanceof IngestError) return refuse(req, reply, refusalOf(err))
      throw err
    }
  })

  /** Decodes and hands over to ingest without keeping the decoded request in the handler's frame. */
  function consumeBody(type: string, body: Buffer, ctx: NormalizeContext) {
    let request
    try {
      request = type === PROTOBUF ? decodeProtobuf(body, INGEST_DECODING) : decodeJson(body.toString('utf8'))
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new Refusal('malformed', err.message)
      throw err
    }
    return ingest.consume(request, ctx)
  }

  function refuse(req: FastifyRequest, reply: FastifyReply, refusal: Refusal) {
    metrics.requestsRefused.inc({ reason: refusal.reason })
    if (refusal.retryAfterSeconds !== undefined) reply.header('retry-after', String(refusal.retryAfterSeconds))
    const code = grpcCodeFor(refusal.status)
    reply.code(refusal.status)
    if (mediaType(req) === PROTOBUF) return reply.type(PROTOBUF).send(Buffer.from(encodeStatus(code, refusal.message)))
    return reply.type(JSON_TYPE).send({ code, message: refusal.message })
  }
}

/** Busy → 429, storage unavailable → 503 (REFUSALS); both with the Retry-After ingest chose (≤ 5 s). */
function refusalOf(err: IngestError): Refusal {
  return new Refusal(err.reason, err.message, err.retryAfterSeconds)
}

/** Runs `fn` once the answer is written (or the client is gone: the spans are stored either way). */
function afterAnswer(reply: FastifyReply, fn: () => void): void {
  if (reply.raw.destroyed) setImmediate(fn)
  else reply.raw.once('close', fn)
}

function encodingOf(req: FastifyRequest): string {
  return String(req.headers['content-encoding'] ?? 'identity').toLowerCase()
}

function mediaType(req: FastifyRequest): string {
  return String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase()
}
