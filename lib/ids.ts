// Id rules shared by every component. Length and character limits of free-text ids (tenant, session,
// route, target…) are in lib/limits.ts (`idProblem`); trace and span ids are lowercase hex (rule 7).

/** Hex digits of a trace id (16 bytes) and a span id (8 bytes), as in W3C Trace Context and OTLP. */
export const TRACE_ID_LENGTH = 32
export const SPAN_ID_LENGTH = 16

/** The all-zero trace id: what a non-recording span carries; never a real trace. */
export const INVALID_TRACE_ID = '0'.repeat(TRACE_ID_LENGTH)

/** Whether `s` is a valid trace/span id: exactly `length` lowercase hex digits, not all zero. */
export function isHexId(s: string, length: number): boolean {
  if (s.length !== length) return false
  let nonZero = false
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
    if (c !== 48) nonZero = true
  }
  return nonZero
}

/** Hex of exactly `length` digits in either case: what an API accepts before lowercasing it. */
export const hexIdPattern = (length: number): RegExp => new RegExp(`^[0-9a-fA-F]{${length}}$`)

/** A routing target's name in spans, scores and weights: its `id`, else `provider/model`. */
export const targetId = (t: { id?: string | undefined; provider: string; model: string }): string =>
  t.id ?? `${t.provider}/${t.model}`
