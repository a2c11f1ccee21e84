import type { Operation } from '../providers/types.ts'
import type { Target } from '../routing/table.ts'
import type { Ask } from './limits.ts'

/**
 * Input tokens, over-estimated on purpose: one token per 3 bytes of the request body as sent. BPE
 * tokenizers average ~4 bytes of English (or 3 bytes of CJK) per token, and the JSON framing adds
 * bytes that are no tokens at all, so the hold is an upper bound for text; the surplus is released
 * when the request settles. (Base64 images are over-held by far; they are released all the same.)
 */
export const inputTokenBound = (bodyBytes: number) => Math.ceil(bodyBytes / 3)

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined)

/** The output the upstream may produce: the request's own cap, else the route's, else the gateway default; times `n`. */
export function outputTokenBound(op: Operation, body: Record<string, unknown>, routeCap: number | undefined, defaultCap: number): number {
  if (op === 'embeddings') return 0
  const cap = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens) ?? positiveInt(body.max_output_tokens) ?? routeCap ?? defaultCap
  return cap * (positiveInt(body.n) ?? 1)
}

/**
 * The worst case of one request: its token bounds at the dearest price among the targets that may
 * serve it (any of them can, after fallbacks), input at the dearer of input and cache-write prices.
 * Rounded up, so the hold never falls short of the settled cost by rounding.
 */
export function worstCase(targets: readonly Target[], inputTokens: number, outputTokens: number): Ask {
  let input = 0n
  let output = 0n
  for (const t of targets) {
    const p = t.price
    if (!p) continue
    const i = p.cacheWrite > p.input ? p.cacheWrite : p.input
    if (i > input) input = i
    if (p.output > output) output = p.output
  }
  const total = BigInt(inputTokens) * input + BigInt(outputTokens) * output
  return { units: (total + 999_999n) / 1_000_000n, tokens: inputTokens + outputTokens }
}
