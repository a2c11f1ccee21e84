/**
 * Table prices for the cost scorer, exact in 10^-24 USD (decimals from lib/money.ts, never binary floats).
 * Prices come from @pydantic/genai-prices; its per-Mtok rates are read at their shortest decimal form.
 */
import { calcPrice, type ModelPrice } from '@pydantic/genai-prices'
import { parseScaled } from '../../lib/money.ts'

export const SCALE = 24

export interface Usage {
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
}

export interface PriceFound {
  units: bigint
  provider: string
  model: string
}

const PROVIDER_IDS: Record<string, string> = {
  'gcp.gemini': 'google', 'gcp.vertex_ai': 'google', 'gcp.gen_ai': 'google', vertex: 'google',
  'aws.bedrock': 'aws', 'azure.ai.openai': 'azure', 'azure.ai.inference': 'azure', mistral_ai: 'mistral', x_ai: 'x-ai', xai: 'x-ai',
}

/** The table's exact cost of one call, or null when the model is not in the table. */
export function tableCost(provider: string, model: string, usage: Usage, at: Date): PriceFound | null {
  if (!model) return null
  const providerId = provider ? PROVIDER_IDS[provider] ?? provider : undefined
  const probe = { input_tokens: 1, output_tokens: 1 }
  let found: ReturnType<typeof calcPrice> = null
  try {
    found = providerId ? calcPrice(probe, model, { providerId, timestamp: at }) : null
    // An unknown provider name (e.g. an OpenAI-compatible gateway) must not hide a known model.
    found ??= calcPrice(probe, model, { timestamp: at })
  } catch {
    return null
  }
  if (!found) return null
  const units = exactCost(found.model_price, usage)
  return units === null ? null : { units, provider: found.provider.id, model: found.model.id }
}

function exactCost(prices: ModelPrice, usage: Usage): bigint | null {
  const rate = (p: ModelPrice[string]): bigint | null => {
    if (p === undefined) return null
    let v = typeof p === 'number' ? p : p.base
    if (typeof p !== 'number') for (const tier of p.tiers) if (usage.input > tier.start) v = tier.price
    return parseScaled(v, SCALE - 6) // per Mtok → per token in 10^-24 USD
  }
  const input = rate(prices.input_mtok)
  const output = rate(prices.output_mtok)
  if (input === null && output === null) return null
  const cacheRead = rate(prices.cache_read_mtok)
  const cacheWrite = rate(prices.cache_write_mtok)
  // input tokens include cache reads/writes; without a separate rate they are charged as input.
  let uncached = usage.input - (cacheRead !== null ? usage.cacheRead : 0) - (cacheWrite !== null ? usage.cacheWrite : 0)
  if (uncached < 0) uncached = 0
  let total = 0n
  if (input !== null) total += BigInt(uncached) * input
  if (output !== null) total += BigInt(usage.output) * output
  if (cacheRead !== null) total += BigInt(usage.cacheRead) * cacheRead
  if (cacheWrite !== null) total += BigInt(usage.cacheWrite) * cacheWrite
  if (typeof prices.requests_kcount === 'number') total += (parseScaled(prices.requests_kcount, SCALE) ?? 0n) / 1000n
  return total
}
