import type { Span } from '../../collector/client.ts'
import { EXPECTED_ANSWER, EXPECTED_MATCH, EXPECTED_TOLERANCE } from '../../lib/attributes.ts'
import { MATCH_MODES, type MatchMode, type RouteEvaluation } from '../config.ts'
import { normalizeText, quote, uncapturedAnswer } from './text.ts'
import type { ScoreDraft, Scorer } from './types.ts'

const NAME = 'reference'
const MAX_SCAN = 200_000

/** Boolean `reference` score when the span carries an expected answer; nothing otherwise. */
export function createReferenceScorer(version = '1'): Scorer {
  return { name: NAME, version, score: async (span, ctx) => referenceDrafts(span, ctx.evaluation) }
}

export function referenceDrafts(span: Span, evaluation: RouteEvaluation): ScoreDraft[] {
  const attrs = span.attributes ?? {}
  const expected = attrs[EXPECTED_ANSWER]
  if (expected === undefined) return []
  const requested = attrs[EXPECTED_MATCH]
  if (requested !== undefined && !(MATCH_MODES as readonly string[]).includes(requested)) {
    return [failed(`unknown match mode ${quote(requested)} in ${EXPECTED_MATCH}; use one of ${MATCH_MODES.join(', ')}`)]
  }
  const mode = (requested as MatchMode | undefined) ?? evaluation.referenceMatch
  const tolerance = attrs[EXPECTED_TOLERANCE] ?? evaluation.referenceTolerance
  if (span.is_error) return [failed('the call failed, there is no answer to compare')]
  const uncaptured = uncapturedAnswer(attrs)
  if (uncaptured) return [failed(uncaptured)]
  const output = (span.output_text ?? '').slice(0, MAX_SCAN)
  try {
    const result = compare(mode, expected, output, tolerance)
    return [
      { name: NAME, data_type: 'boolean', value: result.ok, reason: `${result.mode}: ${result.detail}`, status: 'ok' },
    ]
  } catch (err) {
    return [failed((err as Error).message)]
  }
}

const failed = (reason: string): ScoreDraft => ({
  name: NAME,
  data_type: 'boolean',
  value: false,
  reason,
  status: 'failed',
})

interface Comparison {
  ok: boolean
  mode: MatchMode
  detail: string
}

export function compare(mode: MatchMode, expected: string, output: string, tolerance: string): Comparison {
  const answer = extractAnswer(output)
  switch (mode) {
    case 'auto':
      return compare(parseNumber(expected) !== null ? 'numeric' : 'normalized', expected, output, tolerance)
    case 'exact': {
      const ok = output.trim() === expected.trim()
      return { ok, mode, detail: `${quote(output)} ${ok ? '=' : '≠'} ${quote(expected)}` }
    }
    case 'normalized': {
      const ok = normalizeText(answer) === normalizeText(expected)
      return { ok, mode, detail: `answer ${quote(answer)} ${ok ? 'matches' : 'does not match'} ${quote(expected)}` }
    }
    case 'contains': {
      const needle = normalizeText(expected)
      const ok = needle !== '' && ` ${normalizeText(output)} `.includes(` ${needle} `)
      return { ok, mode, detail: `${ok ? 'contains' : 'does not contain'} ${quote(expected)}` }
    }
    case 'regex': {
      const re = toRegExp(expected)
      const ok = re.test(output)
      return { ok, mode, detail: `${ok ? 'matches' : 'does not match'} /${re.source}/${re.flags}` }
    }
    case 'numeric':
      return numeric(expected, answer, tolerance)
  }
}

function numeric(expected: string, answer: string, tolerance: string): Comparison {
  const want = parseNumber(expected)
  if (want === null) throw new Error(`numeric match needs a numeric expected answer, got ${quote(expected)}`)
  const numbers = answer.match(/-?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?|-?\.\d+/g) ?? []
  const last = numbers.length ? parseNumber(numbers[numbers.length - 1]!) : null
  if (last === null) return { ok: false, mode: 'numeric', detail: `no number in the answer ${quote(answer)}` }
  const relative = tolerance.endsWith('%')
  const tol = Number(relative ? tolerance.slice(0, -1) : tolerance)
  const allowed = relative ? (Math.abs(want) * tol) / 100 : tol
  const ok = Math.abs(last - want) <= allowed + Number.EPSILON * Math.max(1, Math.abs(want))
  return { ok, mode: 'numeric', detail: `${last} vs expected ${want} (tolerance ${tolerance})` }
}

function parseNumber(s: string): number | null {
  const t = s.trim().replace(/,/g, '')
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null
  const n = Number(t)
  return Number.isFinite(n) ? n : null
}

function toRegExp(pattern: string): RegExp {
  const literal = /^\/(.*)\/([dgimsuvy]*)$/s.exec(pattern)
  try {
    return literal ? new RegExp(literal[1]!, literal[2]!.replace('g', '')) : new RegExp(pattern, 'u')
  } catch (err) {
    throw new Error(`the expected answer is not a valid regular expression: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * The answer part of an output: a JSON object's `answer` / `final_answer` field, else the text
 * after the last "answer is" / "answer:", else the whole output.
 */
export function extractAnswer(output: string): string {
  const trimmed = output.trim()
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>
      const v = parsed.answer ?? parsed.final_answer
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v)
    } catch {
      // not JSON: fall through to text
    }
  }
  let after = -1
  for (const m of trimmed.matchAll(/\banswer(?: is|:)/gi)) after = m.index + m[0].length
  const tail = after >= 0 && trimmed.slice(after).trim() !== '' ? trimmed.slice(after) : trimmed
  return tail.trim().replace(/[.!]+$/, '')
}
