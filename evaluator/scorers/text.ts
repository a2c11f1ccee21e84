import { CAPTURE } from '../../lib/attributes.ts'

/** Text helpers shared by scorers: bounded, well-formed strings for reasons and prompts. */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Replaces lone surrogates (left by non-UTF-8 input) with U+FFFD so the text serializes cleanly. */
export const wellFormed = (s: string): string => s.replace(LONE_SURROGATE, '\uFFFD')

/** At most `max` characters, marking what was cut. */
export function clip(s: string, max: number): string {
  const clean = wellFormed(s)
  if (clean.length <= max) return clean
  return `${clean.slice(0, max)}… [${clean.length - max} more characters]`
}

/** For reasons: one line, short. */
export const quote = (s: string, max = 120): string => JSON.stringify(clip(s.replace(/\s+/g, ' ').trim(), max))

/** Case-, accent-, punctuation- and whitespace-insensitive form for answer comparison. */
export function normalizeText(s: string): string {
  return wellFormed(s)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s.-]/gu, ' ')
    .replace(/(?<!\d)[.-]|[.-](?!\d)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * Why the answer text cannot be judged, when the gateway did not keep it: its route captures
 * prompts and answers `off` or `redacted` (span attribute `loopgate.capture`).
 */
export function uncapturedAnswer(attributes: Record<string, string> | undefined): string | undefined {
  const capture = attributes?.[CAPTURE]
  if (capture !== 'off' && capture !== 'redacted') return undefined
  return `the route does not keep answers (capture: ${capture}); set capture: on for the route to check them`
}
