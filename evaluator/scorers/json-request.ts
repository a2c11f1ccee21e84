import {
  ATTR_GEN_AI_OPENAI_REQUEST_RESPONSE_FORMAT,
  ATTR_GEN_AI_OUTPUT_TYPE,
  RESPONSE_FORMAT,
} from '../../lib/attributes.ts'

/**
 * Did the request ask for JSON, and with which schema? Read from the span's attributes, in this
 * order: `loopgate.response_format` (the request's response_format as JSON, set by the gateway),
 * OpenInference `llm.invocation_parameters` (JSON with response_format), OTel GenAI
 * `gen_ai.output.type` = json, `gen_ai.openai.request.response_format` = json_object|json_schema.
 */
export interface JsonRequest {
  /** The JSON schema when one was given (json_schema mode). */
  schema?: Record<string, unknown>
  source: string
}

export function jsonRequestOf(attributes: Record<string, string>): JsonRequest | null {
  for (const key of [RESPONSE_FORMAT, 'llm.invocation_parameters']) {
    const raw = attributes[key]
    if (!raw) continue
    const parsed = parseLoose(raw)
    const format = key === 'llm.invocation_parameters' && isObject(parsed) ? parsed.response_format : parsed
    const found = fromResponseFormat(format, key)
    if (found) return found
  }
  if (attributes[ATTR_GEN_AI_OUTPUT_TYPE] === 'json') return { source: ATTR_GEN_AI_OUTPUT_TYPE }
  const openai = attributes[ATTR_GEN_AI_OPENAI_REQUEST_RESPONSE_FORMAT]
  if (openai === 'json_object' || openai === 'json_schema')
    return { source: ATTR_GEN_AI_OPENAI_REQUEST_RESPONSE_FORMAT }
  return null
}

function fromResponseFormat(format: unknown, source: string): JsonRequest | null {
  if (format === 'json_object' || format === 'json' || format === 'json_schema') return { source }
  if (!isObject(format)) return null
  if (format.type === 'json_object') return { source }
  if (format.type !== 'json_schema') return null
  const holder = isObject(format.json_schema) ? format.json_schema : format
  return isObject(holder.schema) ? { schema: holder.schema, source } : { source }
}

function parseLoose(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return raw.trim()
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
