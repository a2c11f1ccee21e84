import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { MAX_ID_LENGTH } from '../../lib/limits.ts'
import type { CollectorDeps } from '../deps.ts'
import { insertDecision, listDecisions } from '../queries/decisions.ts'
import { num } from '../queries/run.ts'
import { requireAdmin } from './caller.ts'
import { ApiError } from './errors.ts'
import { nowNs, timeRange } from './time.ts'
import type { RoutingDecision } from './types.ts'
import { jsonSchema, limit, name, parse, time } from './validate.ts'

const weights = z.record(z.string().min(1).max(MAX_ID_LENGTH), z.number().finite().min(0))
const MAX_INPUTS_BYTES = 1024 * 1024

const body = z.object({
  decision_id: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'expected 1–128 characters of [A-Za-z0-9._:-]')
    .optional(),
  created_at_ns: z
    .string()
    .regex(/^\d{1,19}$/, 'expected nanoseconds since the epoch')
    .optional(),
  route: name(),
  from_version: z.string().max(128).optional(),
  to_version: z.string().max(128).optional(),
  old_weights: weights,
  new_weights: weights,
  applied: z.boolean(),
  dry_run: z.boolean().optional(),
  reason: z.string().max(16_384),
  inputs: z.unknown().optional(),
})

const listQuery = z.object({
  route: name().optional(),
  from: time.optional(),
  to: time.optional(),
  limit: limit(5_000, 100),
})

function parseInputs(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return s
  }
}

/**
 * Routing decisions are about shared routes and carry statistics across tenants, so both
 * writing and reading them needs the admin token.
 */
export function registerDecisions(app: FastifyInstance, deps: CollectorDeps): void {
  const { store } = deps
  app.post(
    '/routing-decisions',
    {
      bodyLimit: 2 * MAX_INPUTS_BYTES,
      schema: {
        summary: 'Record a routing weight change (optimizer; admin only)',
        tags: ['routes'],
        body: jsonSchema(body),
      },
    },
    async (req, reply) => {
      requireAdmin(req, 'recording a routing decision')
      const d = parse(body, req.body, 'body')
      const inputs = JSON.stringify(d.inputs ?? null)
      if (inputs.length > MAX_INPUTS_BYTES)
        throw new ApiError(413, `"inputs" is larger than ${MAX_INPUTS_BYTES} bytes`, 'inputs')
      const decision: RoutingDecision = {
        decision_id: d.decision_id ?? randomUUID().replace(/-/g, ''),
        created_at_ns: d.created_at_ns ?? nowNs().toString(),
        route: d.route,
        from_version: d.from_version ?? '',
        to_version: d.to_version ?? '',
        old_weights: d.old_weights,
        new_weights: d.new_weights,
        applied: d.applied,
        dry_run: d.dry_run ?? false,
        reason: d.reason,
        inputs: d.inputs ?? null,
      }
      const { created_at_ns, applied, dry_run, ...rest } = decision
      await insertDecision(store, {
        ...rest,
        created_at: created_at_ns,
        applied: applied ? 1 : 0,
        dry_run: dry_run ? 1 : 0,
        inputs,
      })
      return reply.code(201).send(decision)
    },
  )
  app.get(
    '/routing-decisions',
    {
      schema: {
        summary: 'Routing decision history, newest first (admin only)',
        tags: ['routes'],
        querystring: jsonSchema(listQuery),
      },
    },
    async (req) => {
      requireAdmin(req, 'reading routing decisions')
      const q = parse(listQuery, req.query, 'query')
      const range = timeRange(q, 400n * 86_400_000_000_000n)
      const rows = await listDecisions(store, { ...range, route: q.route, limit: q.limit })
      const decisions: RoutingDecision[] = rows.map((r) => ({
        decision_id: r.decision_id,
        created_at_ns: r.created_ns,
        route: r.route,
        from_version: r.from_version,
        to_version: r.to_version,
        old_weights: r.old_weights,
        new_weights: r.new_weights,
        applied: num(r.applied) === 1,
        dry_run: num(r.dry_run) === 1,
        reason: r.reason,
        inputs: parseInputs(r.inputs),
      }))
      return { decisions }
    },
  )
}
