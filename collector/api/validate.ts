import { z } from 'zod'
import { SPAN_ID_LENGTH, TRACE_ID_LENGTH, hexIdPattern } from '../../lib/ids.ts'
import { ID_ALLOWED, MAX_ID_LENGTH } from '../../lib/limits.ts'
import { fromZodError } from './errors.ts'

export const hexId = (length: number) =>
  z
    .string()
    .regex(hexIdPattern(length), `expected ${length} hex characters`)
    .transform((s) => s.toLowerCase())
export const traceId = hexId(TRACE_ID_LENGTH)
export const spanId = hexId(SPAN_ID_LENGTH)

/** Free-text identifiers (tenant, session, route names…): the shared id rule of lib/limits.ts by default. */
export const name = (max = MAX_ID_LENGTH) =>
  z.string().min(1).max(max).regex(ID_ALLOWED, 'must not contain control characters')
export const time = z
  .string()
  .min(1)
  .max(64)
  .describe('ISO 8601 time (UTC when no zone) or nanoseconds since the epoch')
export const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback)

/** Parses a request part with a zod schema; a failure becomes a 400 naming the field. */
export function parse<S extends z.ZodType>(schema: S, data: unknown, part: 'query' | 'body' | 'params'): z.output<S> {
  const result = schema.safeParse(data ?? {})
  if (!result.success) throw fromZodError(result.error, part)
  return result.data
}

/** JSON Schema of a zod schema's input, for the route's OpenAPI description. */
export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >
  return rest
}
