import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { MAX_CHARGEBACK_ROWS, chargebackJson, chargebackRollup } from '../queries/chargeback.ts'
import { TenantScope } from './caller.ts'
import { chargebackCsv } from './chargeback-csv.ts'
import { ApiError } from './errors.ts'
import { DAY_NS, nsToIso, timeRange } from './time.ts'
import type { Chargeback } from './types.ts'
import { jsonSchema, name, parse, time } from './validate.ts'

const query = z.object({
  from: time
    .optional()
    .describe(
      'inclusive, rounded down to the hour (to the UTC day for day and month periods); default: 30 days before `to`',
    ),
  to: time.optional().describe('exclusive (rounded up to the UTC day for day and month periods); default: now'),
  period: z.enum(['hour', 'day', 'month']).default('day'),
  group: z.enum(['route', 'model', 'provider', 'target']).default('route'),
  tenant: name().optional(),
  format: z.enum(['json', 'csv']).default('json'),
})

/** The report's JSON body; a 400 when it would exceed MAX_CHARGEBACK_ROWS. */
export async function chargebackBody(
  deps: CollectorDeps,
  scope: TenantScope,
  q: z.output<typeof query>,
): Promise<Buffer> {
  const source = chargebackRollup(q.period, timeRange(q, 30n * DAY_NS))
  const head: Omit<Chargeback, 'rows' | 'totals' | 'tenant_totals'> = {
    from: nsToIso(source.fromNs),
    to: nsToIso(source.toNs),
    period: q.period,
    group: q.group,
  }
  const body = await chargebackJson(
    deps.store,
    scope,
    { period: q.period, group: q.group, head: JSON.stringify(head).slice(0, -1) },
    source,
  )
  if (!body)
    throw new ApiError(
      400,
      `more than ${MAX_CHARGEBACK_ROWS} rows: narrow the time range or use a coarser period`,
      'from',
    )
  return body
}

export function registerChargeback(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/chargeback',
    {
      schema: {
        summary:
          'Requests, tokens, exact cost, and response-cache hits with the cost they saved, per tenant × period × route/model/provider/target (JSON or CSV)',
        tags: ['chargeback'],
        querystring: jsonSchema(query),
      },
    },
    async (req, reply) => {
      const q = parse(query, req.query, 'query')
      const body = await chargebackBody(deps, TenantScope.of(req, q.tenant), q)
      if (q.format === 'json') return reply.type('application/json; charset=utf-8').send(body)
      const result = JSON.parse(body.toString('utf8')) as Chargeback
      const fileName = `chargeback-${result.period}-${result.group}-${result.from.slice(0, 10)}-${result.to.slice(0, 10)}.csv`
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .send(chargebackCsv(result))
    },
  )
}
