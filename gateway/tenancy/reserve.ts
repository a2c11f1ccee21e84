import { USD_SCALE } from '../../lib/money.ts'
import { COST_SCALE, ceilingRates, type Prices } from '../../lib/pricing.ts'
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

const positiveInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined

/** The output the upstream may produce: the request's own cap, else the route's, else the gateway default; times `n`. */
export function outputTokenBound(
  op: Operation,
  body: Record<string, unknown>,
  routeCap: number | undefined,
  defaultCap: number,
): number {
  if (op === 'embeddings') return 0
  const cap =
    positiveInt(body.max_completion_tokens) ??
    positiveInt(body.max_tokens) ??
    positiveInt(body.max_output_tokens) ??
    routeCap ??
    defaultCap
  return cap * (positiveInt(body.n) ?? 1)
}

/** Cost units (COST_SCALE) per USD unit (USD_SCALE). */
const UNIT = 10n ** BigInt(COST_SCALE - USD_SCALE)
/** A price table's ceiling rates, computed once per table (they are immutable once built). */
const ceilings = new WeakMap<Prices, { input: bigint; output: bigint }>()

function ceilingOf(prices: Prices): { input: bigint; output: bigint } {
  let c = ceilings.get(prices)
  if (!c) ceilings.set(prices, (c = ceilingRates(prices)))
  return c
}

/**
 * The worst case of one request: its token bounds at the dearest price among the targets that may
 * serve it (any of them can, after fallbacks), input at the dearest of its input, cache and tier rates.
 * Rounded up, so the hold never falls short of the settled cost by rounding.
 */
export function worstCase(
  targets: readonly Target[],
  inputTokens: number,
  outputTokens: number,
  atMs = Date.now(),
): Ask {
  let input = 0n
  let output = 0n
  let perRequest = 0n
  for (const t of targets) {
    if (!t.price) continue
    const prices = t.price.at(atMs)
    const c = ceilingOf(prices)
    if (c.input > input) input = c.input
    if (c.output > output) output = c.output
    if ((prices.perRequest ?? 0n) > perRequest) perRequest = prices.perRequest ?? 0n
  }
  const total = BigInt(inputTokens) * input + BigInt(outputTokens) * output + perRequest
  return { units: (total + UNIT - 1n) / UNIT, tokens: inputTokens + outputTokens }
}
