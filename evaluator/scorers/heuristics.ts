import type { Span } from '../../collector/client.ts'
import type { RouteEvaluation } from '../config.ts'
import { failureDescription } from './failure.ts'
import { jsonRequestOf } from './json-request.ts'
import { schemaProblem } from './json-schema.ts'
import { quote, uncapturedAnswer } from './text.ts'
import type { ScoreDraft, Scorer } from './types.ts'

/**
 * Cheap checks, each its own boolean score (1 = pass): `heuristics.error`, `.empty`, `.refusal`,
 * `.truncated`, `.json_valid` and `.json_schema` (only when JSON was requested), `.latency_slo`
 * (only when the route has an SLO). Checks that do not apply write nothing.
 */
export function createHeuristicsScorer(version = '1'): Scorer {
  return { name: 'heuristics', version, score: async (span, ctx) => heuristicDrafts(span, ctx.evaluation) }
}

const TOOL_FINISH = new Set(['tool_calls', 'tool_use', 'function_call'])
const LENGTH_FINISH = new Set(['length', 'max_tokens', 'max_output_tokens'])
/** Refusals open the answer; looking at the start avoids flagging answers that merely quote one. */
const REFUSAL = [
  /\bI(?:'m| am) (?:sorry|afraid),? (?:but )?I (?:can(?:'|no)t|cannot|am unable to|won't|will not)\b/i,
  /^(?:sorry,? )?I (?:can(?:'|no)t|cannot|won't|will not|am unable to|am not able to) (?:help|assist|comply|provide|do that|answer|fulfil)/i,
  /\bI must (?:decline|refuse)\b/i,
  /^as an ai(?: language model)?,? I (?:can(?:'|no)t|cannot|am unable|don't)/i,
  /\b(?:this|that|your) request (?:violates|goes against)\b/i,
]
const REFUSAL_WINDOW = 300

export function heuristicDrafts(span: Span, evaluation: RouteEvaluation): ScoreDraft[] {
  const out: ScoreDraft[] = []
  const pass = (name: string, ok: boolean, reason: string) =>
    out.push({ name: `heuristics.${name}`, data_type: 'boolean', value: ok, reason, status: 'ok' })
  const text = span.output_text ?? ''
  const toolCall = TOOL_FINISH.has(span.finish_reason)

  pass('error', !span.is_error, span.is_error ? `the call failed: ${failureDescription(span)}` : 'no error')

  if (!span.is_error && !uncapturedAnswer(span.attributes)) {
    const empty = text.trim() === '' && !toolCall
    pass(
      'empty',
      !empty,
      empty
        ? 'the answer is empty'
        : toolCall && text.trim() === ''
          ? 'a tool call (no text expected)'
          : `${text.length} characters`,
    )
    const head = text.trimStart().slice(0, REFUSAL_WINDOW)
    const hit = REFUSAL.find((r) => r.test(head))
    pass('refusal', !hit, hit ? `the answer is a refusal: ${quote(head, 100)}` : 'no refusal')
    const truncated = LENGTH_FINISH.has(span.finish_reason)
    pass(
      'truncated',
      !truncated,
      truncated
        ? `finish_reason "${span.finish_reason}": the answer was cut at the token limit`
        : `finish_reason "${span.finish_reason || 'unknown'}"`,
    )
    jsonDrafts(span, text, toolCall, out)
  }

  if (evaluation.sloMs !== undefined) {
    const ok = span.duration_ms <= evaluation.sloMs
    pass('latency_slo', ok, `${span.duration_ms} ms ${ok ? 'within' : 'over'} the ${evaluation.sloMs} ms SLO`)
  }
  return out
}

function jsonDrafts(span: Span, text: string, toolCall: boolean, out: ScoreDraft[]): void {
  const request = jsonRequestOf(span.attributes ?? {})
  if (!request || toolCall) return
  let value: unknown
  let parseError: string | null = null
  try {
    value = JSON.parse(text)
  } catch (err) {
    parseError = (err as Error).message
  }
  out.push({
    name: 'heuristics.json_valid',
    data_type: 'boolean',
    value: parseError === null,
    reason:
      parseError === null
        ? `JSON requested (${request.source}) and returned`
        : `JSON requested (${request.source}) but the answer is not JSON: ${parseError}`,
    status: 'ok',
  })
  if (!request.schema) return
  if (parseError !== null) {
    out.push({
      name: 'heuristics.json_schema',
      data_type: 'boolean',
      value: false,
      reason: 'the answer is not JSON, so it cannot match the schema',
      status: 'ok',
    })
    return
  }
  try {
    const problem = schemaProblem(request.schema, value)
    out.push({
      name: 'heuristics.json_schema',
      data_type: 'boolean',
      value: problem === null,
      reason: problem === null ? 'matches the requested schema' : `does not match the requested schema: ${problem}`,
      status: 'ok',
    })
  } catch (err) {
    out.push({
      name: 'heuristics.json_schema',
      data_type: 'boolean',
      value: false,
      reason: (err as Error).message.slice(0, 500),
      status: 'failed',
    })
  }
}
