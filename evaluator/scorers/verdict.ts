/**
 * Parsing a judge's verdict. Accepted, in order: a JSON object anywhere in the text with a
 * `score` (or `rating`) and a `reason` (or `explanation`/`rationale`); else a labelled number in
 * prose ("Score: 4", "Rating: 4/5", "4 out of 5"). A bare number without a label is not trusted.
 */
export type Verdict = { ok: true; score: number; reason: string } | { ok: false; reason: string }

const SCORE_KEYS = ['score', 'rating', 'grade', 'verdict']
const REASON_KEYS = ['reason', 'explanation', 'rationale', 'justification', 'comment']

export function parseVerdict(text: string, min: number, max: number): Verdict {
  if (text.trim() === '') return { ok: false, reason: 'the judge returned an empty answer' }
  const fromJson = jsonVerdict(text)
  const candidate = fromJson ?? proseVerdict(text)
  if (!candidate) return { ok: false, reason: `no score found in the judge's answer: ${preview(text)}` }
  if (!Number.isFinite(candidate.score))
    return { ok: false, reason: `the judge's score is not a number: ${preview(text)}` }
  if (candidate.score < min || candidate.score > max) {
    return { ok: false, reason: `the judge's score ${candidate.score} is outside the rubric's range ${min}–${max}` }
  }
  return { ok: true, score: candidate.score, reason: candidate.reason || 'no reason given' }
}

/** Maps a rubric score onto 0–1. */
export const normalizeScore = (score: number, min: number, max: number): number =>
  max === min ? 1 : (score - min) / (max - min)

function jsonVerdict(text: string): { score: number; reason: string } | null {
  for (const obj of jsonObjects(text)) {
    const key = Object.keys(obj).find((k) => SCORE_KEYS.includes(k.toLowerCase()))
    if (key === undefined) continue
    const raw = obj[key]
    const score =
      typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN
    const reasonKey = Object.keys(obj).find((k) => REASON_KEYS.includes(k.toLowerCase()))
    const reason = reasonKey !== undefined && typeof obj[reasonKey] === 'string' ? (obj[reasonKey] as string) : ''
    return { score, reason }
  }
  return null
}

/** Balanced `{…}` spans that parse as JSON objects, outermost first (strings with braces are respected). */
function* jsonObjects(text: string): Generator<Record<string, unknown>> {
  const limit = Math.min(text.length, 20_000)
  let tries = 0
  for (
    let start = text.indexOf('{');
    start >= 0 && start < limit && tries++ < 50;
    start = text.indexOf('{', start + 1)
  ) {
    let depth = 0
    let inString = false
    for (let i = start; i < limit; i++) {
      const c = text[i]
      if (inString) {
        if (c === '\\') i++
        else if (c === '"') inString = false
      } else if (c === '"') inString = true
      else if (c === '{') depth++
      else if (c === '}' && --depth === 0) {
        try {
          const parsed: unknown = JSON.parse(text.slice(start, i + 1))
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) yield parsed as Record<string, unknown>
        } catch {
          // not JSON: try the next brace
        }
        break
      }
    }
  }
}

function proseVerdict(text: string): { score: number; reason: string } | null {
  const labelled =
    /\b(?:score|rating|grade)\s*(?:is|of|[:=])?\s*\**\s*(-?\d+(?:\.\d+)?)(?:\s*(?:\/|out of)\s*\d+)?/i.exec(text)
  const outOf = labelled ?? /(-?\d+(?:\.\d+)?)\s*(?:\/|out of)\s*\d+/i.exec(text)
  if (!outOf) return null
  const rest = text.slice(outOf.index + outOf[0].length).replace(/^[\s.,:;*-]+/, '')
  const reason = /\b(?:reason|because|explanation)\b\s*[:-]?\s*(.+)/is.exec(text)?.[1] ?? rest
  return { score: Number(outOf[1]), reason: reason.trim().slice(0, 2000) }
}

const preview = (text: string): string => JSON.stringify(text.replace(/\s+/g, ' ').trim().slice(0, 160))
