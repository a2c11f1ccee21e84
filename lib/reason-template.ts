/**
 * Failure clustering (docs/evaluator.md › Failure clusters): an evaluator's reason with its
 * case-specific values abstracted, so "numeric: 61 vs expected 60" and "numeric: 7 vs expected 9"
 * fall into one cluster, "numeric: <n> vs expected <n>".
 *
 * The rules are written once, in the regex dialect JavaScript and ClickHouse (RE2) share: no
 * lookaround, no backreferences, no flags; a replacement refers to groups as \1, \2. The collector
 * applies them in SQL (so millions of reasons group in ClickHouse), the UI and tests in JavaScript.
 */

/** A graded (numeric/boolean) score below this fails; scores are on a 0–1 scale (docs/api.md). */
export const PASS_THRESHOLD = 0.5

export interface TemplateRule {
  pattern: string
  /** ClickHouse replaceRegexpAll syntax: \1 is group 1. */
  replacement: string
  /** Applied this many times (a rule that consumes the character after its match misses a match right behind it). */
  passes?: number
}

/**
 * Reasons stored before heuristics.error said what a bare status meant (`the call failed: "Unset"`),
 * rewritten to their meaning so they read and cluster with the new ones (evaluator/scorers/failure.ts).
 */
export const LEGACY_REASON_RULES: readonly TemplateRule[] = [
  {
    pattern: '^the call failed: "Unset"$',
    replacement: 'the call failed: the span is marked as an error (by an error attribute), with no message',
  },
  {
    pattern: '^the call failed: "(?:Error|error status)"$',
    replacement: 'the call failed: the span has error status, with no message',
  },
]

const NUMBER = String.raw`[-+]?[0-9]+(?:[.,][0-9]+)*(?:[eE][-+]?[0-9]+)?`

export const REASON_TEMPLATE_RULES: readonly TemplateRule[] = [
  ...LEGACY_REASON_RULES,
  { pattern: String.raw`\s+`, replacement: ' ' },
  // Quoted values first: whatever they hold (numbers included) is one value.
  { pattern: String.raw`"(?:[^"\\]|\\.)*"`, replacement: '"<v>"' },
  { pattern: '“[^”]*”', replacement: '“<v>”' },
  { pattern: '`[^`]*`', replacement: '`<v>`' },
  // Single quotes only around a value, not apostrophes (don't, it's).
  { pattern: String.raw`(^|[^A-Za-z0-9_])'[^']*'([^A-Za-z0-9_]|$)`, replacement: String.raw`\1'<v>'\2`, passes: 2 },
  { pattern: String.raw`\bhttps?://[^\s"'<>]+`, replacement: '<url>' },
  {
    pattern: String.raw`\b[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[-+][0-9]{2}:?[0-9]{2})?)?\b`,
    replacement: '<time>',
  },
  {
    pattern: String.raw`\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`,
    replacement: '<id>',
  },
  // Prefixed ids with two digits or more (req_9xK2mQ7pLw3, chatcmpl-AbC123dEf45), not names like gpt-4o.
  { pattern: String.raw`\b[A-Za-z]+[-_][A-Za-z0-9]*[0-9][A-Za-z0-9]*[0-9][A-Za-z0-9]*\b`, replacement: '<id>' },
  // Numbers, with a unit stuck to them (1200ms), not digits inside names (gpt-4o, v2, utf-8).
  {
    pattern: String.raw`(^|[^A-Za-z0-9_.-])${NUMBER}([A-Za-z%]*)([^A-Za-z0-9_.]|$)`,
    replacement: String.raw`\1<n>\2\3`,
    passes: 2,
  },
  // Hex runs (trace and span ids, hashes).
  { pattern: String.raw`\b[0-9a-fA-F]{8,}\b`, replacement: '<id>' },
  // A list of abstracted items is one list whatever its length.
  { pattern: '<n>(?:, ?<n>)+', replacement: '<n>, …' },
  { pattern: '<id>(?:, ?<id>)+', replacement: '<id>, …' },
]

const compile = (rules: readonly TemplateRule[]) =>
  rules.map((r) => ({
    regex: new RegExp(r.pattern, 'g'),
    replacement: r.replacement.replace(/\\(\d)/g, '$$$1'),
    passes: r.passes ?? 1,
  }))
const JS_RULES = compile(REASON_TEMPLATE_RULES)
const LEGACY_JS_RULES = compile(LEGACY_REASON_RULES)

/** An exact reason as it should read: a legacy bare status replaced by its meaning, nothing else changed. */
export const explainReason = (reason: string): string =>
  LEGACY_JS_RULES.reduce((out, r) => out.replace(r.regex, r.replacement), reason)

/** The reason with numbers, ids, times, URLs and quoted values replaced by placeholders. */
export function reasonTemplate(reason: string): string {
  let out = reason
  for (const rule of JS_RULES) for (let i = 0; i < rule.passes; i++) out = out.replace(rule.regex, rule.replacement)
  return out.trim()
}

/**
 * The same as a ClickHouse expression over `column`, with the rules as query parameters
 * (`{tpl_p0:String}`, `{tpl_r0:String}`, …) returned beside it.
 */
export function reasonTemplateSql(column: string): { sql: string; params: Record<string, string> } {
  let sql = column
  const params: Record<string, string> = {}
  REASON_TEMPLATE_RULES.forEach((r, i) => {
    params[`tpl_p${i}`] = r.pattern
    params[`tpl_r${i}`] = r.replacement
    for (let pass = 0; pass < (r.passes ?? 1); pass++)
      sql = `replaceRegexpAll(${sql}, {tpl_p${i}:String}, {tpl_r${i}:String})`
  })
  return { sql: `trimBoth(${sql})`, params }
}
