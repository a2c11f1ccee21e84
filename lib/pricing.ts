// The one cost rule of every component (gateway, collector, evaluator): prices tiered by total input
// tokens, with cache-read and cache-write rates, computed exactly on scaled BigInts. Prices are
// configured (here) or come from the maintained table (lib/price-table.ts, Node only: the UI
// type-checks this file but never loads the table).
import { USD_SCALE, parseScaled, rescale } from './money.ts'

/** Scale of a computed cost: 10^-24 USD, so a per-token rate (per-Mtok rate at 10^-18) × tokens is exact. */
export const COST_SCALE = 24
/** Scale of a per-Mtok rate, so that rate × tokens / 10^6 is at COST_SCALE. */
export const RATE_SCALE = COST_SCALE - 6

/** Token counts of one call. `input` counts ALL input tokens, cache reads and writes included. */
export interface TokenUsage {
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
}

/** A per-token rate in 10^-24 USD; a tier replaces the base rate when the call's total input exceeds its start. */
export interface Rate {
  base: bigint
  tiers: readonly { start: number; rate: bigint }[]
}

/** One model's prices. A missing cache rate means those tokens are charged as ordinary input (as genai-prices does). */
export interface Prices {
  input?: Rate
  output?: Rate
  cacheRead?: Rate
  cacheWrite?: Rate
  /** Fee per request in 10^-24 USD. */
  perRequest?: bigint
}

/** Where a model's prices were found, and the prices in force at a time (most models: always the same). */
export interface Quote {
  source: 'config' | 'price_table'
  /** The table's provider and model ids (the configured ones for configured prices). */
  provider: string
  model: string
  at(ms: number): Prices
}

/** Configured prices: USD per million tokens as decimal strings (at most 12 decimals). */
export interface PriceSettings {
  input: string
  output: string
  cacheRead?: string | undefined
  cacheWrite?: string | undefined
}

/** Producer provider names (OTel `gen_ai.provider.name` / `gen_ai.system`, Vercel AI SDK ids) → genai-prices provider ids. */
export const PROVIDER_IDS: Readonly<Record<string, string>> = {
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  google: 'google',
  vertex: 'google',
  'aws.bedrock': 'aws',
  'amazon-bedrock': 'aws',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  'azure-openai': 'azure',
  mistral_ai: 'mistral',
  x_ai: 'x-ai',
  xai: 'x-ai',
  'ibm.watsonx.ai': 'ibm',
}

export const priceProviderId = (provider: string): string => PROVIDER_IDS[provider] ?? provider

/** The exact cost of one call in 10^-24 USD, or null when the prices have neither an input nor an output rate. */
export function costOf(prices: Prices, usage: TokenUsage): bigint | null {
  const { input, output, cacheRead, cacheWrite } = prices
  if (!input && !output) return null
  let uncached = usage.input
  if (cacheRead) uncached -= usage.cacheRead
  if (cacheWrite) uncached -= usage.cacheWrite
  if (uncached < 0) uncached = 0
  let total = prices.perRequest ?? 0n
  if (input) total += BigInt(uncached) * rateFor(input, usage.input)
  if (output) total += BigInt(usage.output) * rateFor(output, usage.input)
  if (cacheRead) total += BigInt(usage.cacheRead) * rateFor(cacheRead, usage.input)
  if (cacheWrite) total += BigInt(usage.cacheWrite) * rateFor(cacheWrite, usage.input)
  return total
}

/** A cost in 10^-24 USD as stored USD units (10^-12), rounded half up once. */
export const toUsdUnits = (cost: bigint): bigint => rescale(cost, COST_SCALE, USD_SCALE)

function rateFor(r: Rate, totalInput: number): bigint {
  let v = r.base
  for (const t of r.tiers) if (totalInput > t.start) v = t.rate
  return v
}

/** The dearest per-token rate a call can pay for one input token and one output token (tiers and cache writes included), for holds that must never fall short. */
export function ceilingRates(prices: Prices): { input: bigint; output: bigint } {
  const max = (...rates: (Rate | undefined)[]): bigint => {
    let m = 0n
    for (const r of rates) {
      if (!r) continue
      if (r.base > m) m = r.base
      for (const t of r.tiers) if (t.rate > m) m = t.rate
    }
    return m
  }
  return { input: max(prices.input, prices.cacheRead, prices.cacheWrite), output: max(prices.output) }
}

const flat = (usdPerMtok: string): Rate => {
  const base = parseScaled(usdPerMtok, RATE_SCALE)
  if (base === null) throw new Error(`not a decimal price: ${usdPerMtok}`)
  return { base, tiers: [] }
}

/** A quote for configured prices; absent cache rates are charged as input. */
export function configuredQuote(p: PriceSettings, provider = '', model = ''): Quote {
  const prices: Prices = {
    input: flat(p.input),
    output: flat(p.output),
    ...(p.cacheRead !== undefined ? { cacheRead: flat(p.cacheRead) } : {}),
    ...(p.cacheWrite !== undefined ? { cacheWrite: flat(p.cacheWrite) } : {}),
  }
  return { source: 'config', provider, model, at: () => prices }
}

/** A rate's base as USD per million tokens, in 10^-12 USD units (for display). */
export const perMtokUsd = (r: Rate): bigint => rescale(r.base * 1_000_000n, COST_SCALE, USD_SCALE)
