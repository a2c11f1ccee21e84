// Cost from the maintained price table (@pydantic/genai-prices), computed exactly.
// genai-prices resolves provider + model (+ date-dependent prices) and returns the model's
// price entry; we redo its arithmetic for text tokens on scaled BigInts, so the result is the
// table's decimal rate × tokens with no binary-float error. Lookups are cached (calcPrice
// costs ~40 µs).
import { calcPrice, type ModelPrice } from '@pydantic/genai-prices'
import { parseScaled } from '../../lib/money.ts'

export interface TokenUsage {
  /** ALL input tokens, cache reads and writes included. */
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
}

/** Cost in 10^-24 USD units (exact), or null when the model has no usable price. */
export type PriceFn = (provider: string, model: string, usage: TokenUsage, startMs: number) => bigint | null

/** OTel `gen_ai.provider.name` / Vercel ids → genai-prices provider ids. */
const PROVIDER_IDS: Record<string, string> = {
  'gcp.gemini': 'google', 'gcp.vertex_ai': 'google', 'gcp.gen_ai': 'google', 'google': 'google', 'vertex': 'google',
  'aws.bedrock': 'aws', 'amazon-bedrock': 'aws', 'azure.ai.openai': 'azure', 'azure.ai.inference': 'azure', 'azure-openai': 'azure',
  'mistral_ai': 'mistral', 'x_ai': 'x-ai', 'xai': 'x-ai', 'ibm.watsonx.ai': 'ibm',
}

/** Price keys for text tokens we can compute exactly; others only apply to usage we never report (→ 0). */
const PRICE_SCALE = 18 // price per Mtok in 10^-18 USD; × tokens / 10^6 → 10^-24 USD

interface Resolved {
  prices: ModelPrice | null
  /** True when the model's prices depend on the date/time: then not cached per model. */
  conditional: boolean
}

const MAX_CACHE = 10_000

export function createPricer(): PriceFn {
  const cache = new Map<string, Resolved>()
  return (provider, model, usage, startMs) => {
    if (!model) return null
    const key = `${provider}\u0000${model}`
    let resolved = cache.get(key)
    let prices: ModelPrice | null
    if (resolved && !resolved.conditional) prices = resolved.prices
    else {
      const result = lookup(provider, model, startMs)
      prices = result.prices
      if (!resolved) {
        if (cache.size >= MAX_CACHE) cache.clear()
        cache.set(key, (resolved = result))
      }
    }
    return prices ? exactCost(prices, usage) : null
  }
}

function lookup(provider: string, model: string, startMs: number): Resolved {
  const providerId = provider ? PROVIDER_IDS[provider] ?? provider : undefined
  const timestamp = new Date(Number.isFinite(startMs) && startMs > 0 ? startMs : Date.now())
  const usage = { input_tokens: 1, output_tokens: 1 }
  try {
    let result = calcPrice(usage, model, providerId ? { providerId, timestamp } : { timestamp })
    // An unknown provider name (e.g. an OpenAI-compatible gateway) should not hide a known model.
    if (!result && providerId) result = calcPrice(usage, model, { timestamp })
    if (!result) return { prices: null, conditional: false }
    return { prices: result.model_price, conditional: Array.isArray(result.model.prices) }
  } catch {
    return { prices: null, conditional: false }
  }
}

/** Σ tokens × rate over input (uncached part), cache read, cache write and output; tiered by total input. */
export function exactCost(prices: ModelPrice, usage: TokenUsage): bigint | null {
  const input = rate(prices.input_mtok, usage.input)
  const output = rate(prices.output_mtok, usage.input)
  if (input === null && output === null) return null
  const cacheRead = rate(prices.cache_read_mtok, usage.input)
  const cacheWrite = rate(prices.cache_write_mtok, usage.input)
  // Without a separate cache rate, those tokens are charged as ordinary input (as genai-prices does).
  let uncached = usage.input
  if (cacheRead !== null) uncached -= usage.cacheRead
  if (cacheWrite !== null) uncached -= usage.cacheWrite
  if (uncached < 0) uncached = 0
  let total = 0n
  if (input !== null) total += BigInt(uncached) * input
  if (output !== null) total += BigInt(usage.output) * output
  if (cacheRead !== null) total += BigInt(usage.cacheRead) * cacheRead
  if (cacheWrite !== null) total += BigInt(usage.cacheWrite) * cacheWrite
  const perRequest = prices.requests_kcount
  // requests_kcount is per 1,000 requests; this span is one request: (rate × 10^18) × 10^3 in 10^-24 USD.
  if (typeof perRequest === 'number') total += (parseScaled(perRequest, PRICE_SCALE) ?? 0n) * 1_000n
  return total
}

/** The per-Mtok rate in 10^-18 USD for the given total input (tiers apply above their start). */
function rate(price: ModelPrice[string], totalInput: number): bigint | null {
  if (price === undefined) return null
  let value: number
  if (typeof price === 'number') value = price
  else {
    value = price.base
    for (const tier of price.tiers) if (totalInput > tier.start) value = tier.price
  }
  let scaled = rateCache.get(value)
  if (scaled === undefined) {
    scaled = parseScaled(value, PRICE_SCALE)
    if (rateCache.size < 10_000) rateCache.set(value, scaled)
  }
  return scaled
}

/** Rates are a few hundred distinct numbers; parsing them once keeps pricing off the profile. */
const rateCache = new Map<number, bigint | null>()
