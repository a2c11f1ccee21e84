/**
 * Exact money for the cost scorer: decimals as scaled BigInts (10^-24 USD), never binary floats.
 * Prices come from @pydantic/genai-prices; its per-Mtok rates are read at their shortest decimal form.
 */
import { calcPrice, type ModelPrice } from '@pydantic/genai-prices'

export const SCALE = 24

/** A non-negative decimal (string or number at its shortest form) in 10^-scale units, half up; null when not one. */
export function toUnits(value: string | number, scale = SCALE): bigint | null {
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim()
  const m = /^\+?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s)
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return null
  const frac = m[2] ?? ''
  const exp = m[3] ? Number(m[3]) : 0
  if (Math.abs(exp) > 400) return null
  const digits = BigInt(`${m[1] ?? ''}${frac}` || '0')
  const shift = scale + exp - frac.length
  if (shift >= 0) return digits * 10n ** BigInt(shift)
  const div = 10n ** BigInt(-shift)
  return (digits + div / 2n) / div
}

/** Units → plain decimal string, rounded half up to `digits` fractional digits, trailing zeros dropped. */
export function formatUnits(units: bigint, digits = 12, scale = SCALE): string {
  const div = 10n ** BigInt(scale - digits)
  const neg = units < 0n
  const abs = ((neg ? -units : units) + div / 2n) / div
  const base = 10n ** BigInt(digits)
  const frac = (abs % base).toString().padStart(digits, '0').replace(/0+$/, '')
  return `${neg && abs !== 0n ? '-' : ''}${abs / base}${frac ? `.${frac}` : ''}`
}

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
    return toUnits(v, SCALE - 6) // per Mtok → per token in 10^-24 USD
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
  if (typeof prices.requests_kcount === 'number') total += (toUnits(prices.requests_kcount, SCALE) ?? 0n) / 1000n
  return total
}

/** A price the operator configured for a gateway target (USD per million tokens, exact decimals). */
export interface ConfiguredPrice {
  /** The gateway target id (`provider/model` unless the target names one). */
  target: string
  input: string
  output: string
  /** Default: the input price (as the gateway charges them). */
  cacheRead?: string
  cacheWrite?: string
}

/** The exact cost of one call at a configured price, as the gateway computes it (cached input at its own rate). */
export function configuredCost(price: ConfiguredPrice, usage: Usage): bigint | null {
  const rate = (usd: string | undefined): bigint | null => (usd === undefined ? null : toUnits(usd, SCALE - 6))
  const input = rate(price.input)
  const output = rate(price.output)
  if (input === null || output === null) return null
  const cacheRead = rate(price.cacheRead) ?? input
  const cacheWrite = rate(price.cacheWrite) ?? input
  const uncached = Math.max(0, usage.input - usage.cacheRead - usage.cacheWrite)
  return BigInt(uncached) * input + BigInt(usage.output) * output + BigInt(usage.cacheRead) * cacheRead + BigInt(usage.cacheWrite) * cacheWrite
}
