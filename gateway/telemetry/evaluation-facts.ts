import { CAPTURE, EXPECTED_ANSWER, EXPECTED_MATCH, EXPECTED_TOLERANCE, RESPONSE_FORMAT } from '../../lib/attributes.ts'

/**
 * What the evaluator needs to judge a request, recorded on its span: the task's known answer
 * (body `metadata.expected_answer` or the `x-loopgate-task` header's JSON, with optional `match`
 * and `tolerance`), the requested `response_format` (Responses API: `text.format`), and whether the answer is kept at all
 * (`loopgate.capture`). Attribute names are the evaluator's contract.
 */
export function evaluationFacts(
  body: Record<string, unknown>,
  taskHeader: string | undefined,
  capture: string,
): Record<string, string> {
  const facts: Record<string, string> = { [CAPTURE]: capture }
  const task = { ...parseTask(taskHeader), ...metadataOf(body) }
  if (typeof task.expected_answer === 'string') facts[EXPECTED_ANSWER] = task.expected_answer
  if (typeof task.match === 'string') facts[EXPECTED_MATCH] = task.match
  if (typeof task.tolerance === 'number' || typeof task.tolerance === 'string')
    facts[EXPECTED_TOLERANCE] = String(task.tolerance)
  if (body.response_format !== undefined) facts[RESPONSE_FORMAT] = JSON.stringify(body.response_format)
  else {
    // The Responses API asks for JSON in `text.format` ({ type, schema }): the same attribute, which the evaluator reads either way.
    const format = (body.text as { format?: { type?: unknown } } | null | undefined)?.format
    if (format && format.type !== 'text') facts[RESPONSE_FORMAT] = JSON.stringify(format)
  }
  return facts
}

function metadataOf(body: Record<string, unknown>): Record<string, unknown> {
  const meta = body.metadata
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {}
}

function parseTask(header: string | undefined): Record<string, unknown> {
  if (!header) return {}
  try {
    const parsed: unknown = JSON.parse(header)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {}
  } catch {
    return {} // a malformed task header only means nothing to check
  }
}
