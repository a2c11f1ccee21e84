/**
 * Failure clustering (docs/evaluator.md › Failure clusters): an evaluator's reason with its
 * case-specific values abstracted, so "numeric: 61 vs expected 60" and "numeric: 7 vs expected 9"
 * fall into one cluster, "numeric: <n> vs expected <n>". Shared by the collector (which groups)
 * and the UI (which may show the template of a single reason).
 */

/** A graded (numeric/boolean) score below this fails; scores are on a 0–1 scale (docs/api.md). */
export const PASS_THRESHOLD = 0.5

const RULES: Array<[RegExp, string]> = [
  // Quoted values first: whatever they hold (numbers included) is one value.
  [/"(?:[^"\\]|\\.)*"/g, '"<v>"'],
  [/“[^”]*”/g, '“<v>”'],
  [/(?<![\w])'(?:[^'\\\n]|\\.)*'(?![\w])/g, "'<v>'"],
  [/`[^`\n]*`/g, '`<v>`'],
  [/\bhttps?:\/\/[^\s"'<>]+/g, '<url>'],
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  // Hex runs of 8+ holding a digit (trace, span, request ids) and prefixed ids such as chatcmpl-Ab12cd34ef.
  [/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, '<id>'],
  [/\b[A-Za-z]+[-_](?=[A-Za-z0-9]*\d)[A-Za-z0-9]{8,}\b/g, '<id>'],
  // Numbers, not digits inside names (gpt-4o, v2, utf-8): a sign, decimals, thousands, an exponent.
  [/(?<![\w.-])[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?/g, '<n>'],
]

/** The reason with numbers, ids, times, URLs and quoted values replaced by placeholders. */
export function reasonTemplate(reason: string): string {
  let out = reason.replace(/\s+/g, ' ').trim()
  for (const [pattern, placeholder] of RULES) out = out.replace(pattern, placeholder)
  // A run of abstracted list items ("<n>, <n>, <n>") is one list whatever its length.
  return out.replace(/<(n|id|v)>(?:, ?<\1>)+/g, '<$1>, …')
}
