import { createHash, randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { MAX_ID_LENGTH } from '../../lib/limits.ts'
import type { CollectorDeps } from '../deps.ts'
import { adminPostedScoreId, insertScores } from '../queries/scores.ts'
import { TenantScope, callerOf, type ReadCaller } from './caller.ts'
import { ApiError } from './errors.ts'
import { findScores } from './score-store.ts'
import { bindScoreTargets } from './score-targets.ts'
import { nowNs, parseTime } from './time.ts'
import type { PostScoresResult, Score, ScoreDataType, ScorePoster } from './types.ts'
import { jsonSchema, limit, name, parse, spanId, time, traceId } from './validate.ts'

const text = (max: number) => z.string().max(max)

export const scoreInput = z.object({
  score_id: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'expected 1–128 characters of [A-Za-z0-9._:-]')
    .optional(),
  tenant_id: name().optional(),
  trace_id: traceId.optional(),
  span_id: spanId.optional(),
  session_id: name().optional(),
  route: text(MAX_ID_LENGTH)
    .optional()
    .describe("the scored span's route; taken from the span, refused (400) when it differs"),
  target: text(MAX_ID_LENGTH)
    .optional()
    .describe("the scored span's target; taken from the span, refused (400) when it differs"),
  name: name(128),
  version: text(64).optional(),
  source: z.enum(['evaluator', 'human', 'api']).optional().describe('"evaluator" needs the admin token'),
  data_type: z.enum(['numeric', 'boolean', 'categorical', 'comment']).optional(),
  value: z.union([z.number().finite(), z.boolean()]).optional(),
  label: text(1024).optional(),
  reason: text(32_768).optional(),
  comment: text(32_768).optional().describe("a human note, kept apart from `reason` (an evaluator's explanation)"),
  author_name: z
    .string()
    .max(128)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters')
    .optional()
    .describe(
      'a display name for the annotation; shown beside the key that posted it (`author`), never trusted for authority',
    ),
  status: z.enum(['ok', 'failed']).optional(),
})
type ScoreInputParsed = z.output<typeof scoreInput>

const MAX_BATCH = 5_000
const batch = z.array(scoreInput).min(1).max(MAX_BATCH)
const batchObject = z.object({ scores: batch })
/** For the OpenAPI description; parsing picks the shape first so errors name the right field. */
const postBody = z.union([scoreInput, batch, batchObject])

function parseBody(body: unknown): { inputs: ScoreInputParsed[]; batched: boolean } {
  if (Array.isArray(body)) return { inputs: parse(batch, body, 'body'), batched: true }
  if (body && typeof body === 'object' && 'scores' in body) {
    const parsed = parse(batchObject, body, 'body')
    return { inputs: parsed.scores, batched: true }
  }
  return { inputs: [parse(scoreInput, body, 'body')], batched: false }
}

const listQuery = z.object({
  trace_id: traceId.optional(),
  span_id: spanId.optional(),
  session_id: name().optional(),
  name: name(128).optional(),
  route: name().optional(),
  target: name().optional(),
  source: z.enum(['evaluator', 'human', 'api']).optional(),
  author: name(160).optional().describe('the key that posted it: `admin` or `<tenant>/sha256:<12 hex>`'),
  tenant: name().optional(),
  from: time.optional().describe('created at or after'),
  to: time.optional().describe('created at or before'),
  limit: limit(10_000, 100),
})

function dataTypeOf(s: ScoreInputParsed, field: string): ScoreDataType {
  if (s.data_type) return s.data_type
  if (typeof s.value === 'boolean') return 'boolean'
  if (typeof s.value === 'number') return 'numeric'
  if (s.label) return 'categorical'
  if (s.reason || s.comment) return 'comment'
  throw new ApiError(400, `invalid body field "${field}": give a value, a label or a comment`, field)
}

function valueOf(s: ScoreInputParsed, type: ScoreDataType, field: string): number {
  const f = `${field}value`
  if (type === 'boolean') {
    if (s.value === true || s.value === 1) return 1
    if (s.value === false || s.value === 0) return 0
    throw new ApiError(400, `invalid body field "${f}": a boolean score needs true/false (or 1/0)`, f)
  }
  if (type === 'numeric') {
    if (typeof s.value !== 'number')
      throw new ApiError(400, `invalid body field "${f}": a numeric score needs a number`, f)
    return s.value
  }
  if (type === 'categorical' && !s.label)
    throw new ApiError(400, `invalid body field "${field}label": a categorical score needs a label`, `${field}label`)
  return typeof s.value === 'number' ? s.value : s.value === true ? 1 : 0
}

const sha = (parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)

/** Stored form of one input; the id is deterministic for evaluator scores so a retried job writes the same score. */
function toScore(
  s: ScoreInputParsed,
  index: number,
  batched: boolean,
  tenant: string,
  caller: ReadCaller,
  createdNs: bigint,
): Score {
  const field = batched ? `[${index}].` : ''
  if (!s.trace_id && !s.session_id)
    throw new ApiError(
      400,
      `invalid body field "${field}trace_id": a score needs a trace_id or a session_id`,
      `${field}trace_id`,
    )
  if (s.span_id && !s.trace_id)
    throw new ApiError(
      400,
      `invalid body field "${field}trace_id": a span score needs its trace_id`,
      `${field}trace_id`,
    )
  const data_type = dataTypeOf(s, `${field}value`)
  const value = valueOf(s, data_type, field)
  const source = s.source ?? 'api'
  const version = s.version ?? ''
  const score_id =
    s.score_id ??
    (source === 'evaluator'
      ? sha([tenant, s.trace_id ?? '', s.span_id ?? '', s.session_id ?? '', s.name, version])
      : randomUUID().replace(/-/g, ''))
  return {
    score_id,
    tenant_id: tenant,
    created_at_ns: createdNs.toString(),
    trace_id: s.trace_id ?? '',
    span_id: s.span_id ?? '',
    session_id: s.session_id ?? '',
    route: '', // bound to the scored span by bindScoreTargets
    target: '',
    name: s.name,
    version,
    source,
    data_type,
    value,
    label: s.label ?? '',
    reason: s.reason ?? '',
    status: s.status ?? 'ok',
    posted_by: caller.kind satisfies ScorePoster,
    comment: s.comment ?? '',
    author: caller.keyId,
    author_name: s.author_name?.trim() ?? '',
  }
}

function tenantFor(req: FastifyRequest, s: ScoreInputParsed, field: string): string {
  const caller = callerOf(req)
  if (caller.kind === 'tenant') {
    if (caller.readOnly)
      throw new ApiError(403, 'a read-only key may not post scores; use a key listed under tenants[].readKeys')
    if (s.tenant_id !== undefined && s.tenant_id !== caller.tenantId)
      throw new ApiError(403, 'a tenant key may only score its own tenant', `${field}tenant_id`)
    if (s.source === 'evaluator')
      throw new ApiError(
        403,
        'source "evaluator" needs the admin token; use "human" or "api" with a tenant key',
        `${field}source`,
      )
    return caller.tenantId
  }
  if (!s.tenant_id)
    throw new ApiError(
      400,
      `invalid body field "${field}tenant_id": required with the admin token`,
      `${field}tenant_id`,
    )
  return s.tenant_id
}

export async function postScores(deps: CollectorDeps, req: FastifyRequest): Promise<PostScoresResult> {
  const { inputs, batched } = parseBody(req.body)
  const base = nowNs()
  const caller = callerOf(req)
  const field = (i: number) => (batched ? `[${i}].` : '')
  const scores = inputs.map((s, i) => toScore(s, i, batched, tenantFor(req, s, field(i)), caller, base + BigInt(i)))
  // Every score is bound to what it scores: tenant, route and target come from the span, never the body.
  await bindScoreTargets(
    deps.store,
    scores,
    inputs.map((s, i) => ({ route: s.route, target: s.target, field: field(i) })),
  )
  if (caller.kind === 'tenant') await refuseTrustedOverwrites(deps, scores)
  await insertScores(
    deps.store,
    scores.map(({ created_at_ns, ...rest }) => ({ ...rest, created_at: created_at_ns })),
  )
  return { accepted: scores.length, scores }
}

/** A tenant key may not replace (a newer version of the same score_id) a score the admin posted. */
async function refuseTrustedOverwrites(deps: CollectorDeps, scores: Score[]): Promise<void> {
  const ids = [...new Set(scores.map((s) => s.score_id))]
  const taken = await adminPostedScoreId(deps.store, scores[0]!.tenant_id, ids)
  if (taken)
    throw new ApiError(
      409,
      `score_id ${taken} belongs to a score posted with the admin token; choose another id`,
      'score_id',
    )
}

export function registerScores(app: FastifyInstance, deps: CollectorDeps): void {
  app.post(
    '/scores',
    {
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        summary: 'Store one score or a batch (evaluator results, human feedback); idempotent by score_id',
        tags: ['scores'],
        body: jsonSchema(postBody),
      },
    },
    async (req, reply) => reply.code(201).send(await postScores(deps, req)),
  )
  app.get(
    '/scores',
    {
      schema: {
        summary: 'Scores, newest first (newest version per score_id)',
        tags: ['scores'],
        querystring: jsonSchema(listQuery),
      },
    },
    async (req) => {
      const q = parse(listQuery, req.query, 'query')
      const fromNs = q.from ? parseTime(q.from, 'from') : undefined
      const toNs = q.to ? parseTime(q.to, 'to') : undefined
      if (fromNs !== undefined && toNs !== undefined && fromNs > toNs)
        throw new ApiError(400, 'invalid query field "from": must not be after "to"', 'from')
      const scores = await findScores(deps.store, TenantScope.of(req, q.tenant), {
        trace_id: q.trace_id,
        span_id: q.span_id,
        session_id: q.session_id,
        name: q.name,
        route: q.route,
        target: q.target,
        source: q.source,
        author: q.author,
        fromNs,
        toNs,
        limit: q.limit,
      })
      return { scores }
    },
  )
}
