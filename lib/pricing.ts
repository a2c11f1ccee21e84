// The one price lookup and cost rule of every component (gateway, collector, evaluator): configured
// prices or the maintained table (@pydantic/genai-prices), tiered by total input tokens, with
// cache-read and cache-write rates, computed exactly on scaled BigInts. genai-prices resolves provider,
// model and date-dependent prices; its per-Mtok numbers are read at their shortest decimal form, so
// a cost is the table's decimal rate × tokens with no binary-float error.
import { createRequire } from 'node:module'
import type { ModelPrice } from '@pydantic/genai-prices'
import { USD_SCALE, parseScaled, rescale } from './money.ts'

/** Scale of a computed cost: 10^-24 USD, so a per-token rate (per-Mtok rate at 10^-18) × tokens is exact. */
export const COST_SCALE = 24
const RATE_SCALE = COST_SCALE - 6

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
  'gcp.gemini': 'google', 'gcp.vertex_ai': 'google', 'gcp.gen_ai': 'google', google: 'google', vertex: 'google',
  'aws.bedrock': 'aws', 'amazon-bedrock': 'aws',
  'azure.ai.openai': 'azure', 'azure.ai.inference': 'azure', 'azure-openai': 'azure',
  mistral_ai: 'mistral', x_ai: 'x-ai', xai: 'x-ai', 'ibm.watsonx.ai': 'ibm',
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
  const prices: Prices = { input: flat(p.input), output: flat(p.output), ...(p.cacheRead !== undefined ? { cacheRead: flat(p.cacheRead) } : {}), ...(p.cacheWrite !== undefined ? { cacheWrite: flat(p.cacheWrite) } : {}) }
  return { source: 'config', provider, model, at: () => prices }
}

/** A rate's base as USD per million tokens, in 10^-12 USD units (for display). */
export const perMtokUsd = (r: Rate): bigint => rescale(r.base * 1_000_000n, COST_SCALE, USD_SCALE)

type GenaiPrices = typeof import('@pydantic/genai-prices')
let genai: GenaiPrices | undefined
/** The table costs ~10 MB of memory: loaded on the first table lookup (a gateway with only configured prices never loads it). */
const table = (): GenaiPrices => (genai ??= createRequire(import.meta.url)('@pydantic/genai-prices') as GenaiPrices)

const PROBE = { input_tokens: 1, output_tokens: 1 }
const MAX_CACHE = 10_000
const quotes = new Map<string, Quote | null>()

/**
 * The table's quote for a provider's model, cached per provider and model (a lookup costs ~40 µs;
 * a cached one is a Map read). With `anyProvider`, an unknown provider name (e.g. an OpenAI-compatible
 * gateway) does not hide a known model: the model is looked up across providers. Null when not in the table.
 */
export function tableQuote(provider: string, model: string, options: { anyProvider?: boolean; atMs?: number } = {}): Quote | null {
  if (!model) return null
  const anyProvider = options.anyProvider ?? true
  const key = `${provider}\u0000${model}\u0000${anyProvider ? 1 : 0}`
  let q = quotes.get(key)
  if (q === undefined) {
    q = resolve(provider ? priceProviderId(provider) : undefined, model, anyProvider, timestamp(options.atMs))
    if (quotes.size >= MAX_CACHE) quotes.clear()
    quotes.set(key, q)
  }
  return q
}

const timestamp = (ms: number | undefined): Date => new Date(ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : Date.now())

function resolve(providerId: string | undefined, model: string, anyProvider: boolean, at: Date): Quote | null {
  const { calcPrice } = table()
  let found: ReturnType<GenaiPrices['calcPrice']> = null
  try {
    found = providerId ? calcPrice(PROBE, model, { providerId, timestamp: at }) : null
    if (!found && (anyProvider || !providerId)) found = calcPrice(PROBE, model, { timestamp: at })
  } catch {
    return null
  }
  if (!found) return null
  const fixed = pricesOf(found.model_price)
  if (!fixed.input && !fixed.output) return null
  const providerIdFound = found.provider.id
  const modelId = found.model.id
  const base = { source: 'price_table' as const, provider: providerIdFound, model: modelId }
  if (!Array.isArray(found.model.prices)) return { ...base, at: () => fixed }
  // Date- or time-of-day-dependent prices: resolved for each call's own time (not cached).
  return {
    ...base,
    at: (ms) => {
      try {
        const r = calcPrice(PROBE, model, { providerId: providerIdFound, timestamp: timestamp(ms) })
        return r ? pricesOf(r.model_price) : fixed
      } catch {
        return fixed
      }
    },
  }
}

/** Table prices (numbers per Mtok) → exact per-token rates; keys we never report usage for are ignored. */
function pricesOf(mp: ModelPrice): Prices {
  const prices: Prices = {}
  const input = rateOf(mp.input_mtok)
  const output = rateOf(mp.output_mtok)
  const cacheRead = rateOf(mp.cache_read_mtok)
  const cacheWrite = rateOf(mp.cache_write_mtok)
  if (input) prices.input = input
  if (output) prices.output = output
  if (cacheRead) prices.cacheRead = cacheRead
  if (cacheWrite) prices.cacheWrite = cacheWrite
  // requests_kcount is USD per 1,000 requests: one request is kcount × 10^24 / 10^3 units.
  if (typeof mp.requests_kcount === 'number') prices.perRequest = (parseScaled(mp.requests_kcount, COST_SCALE - 3) ?? 0n)
  return prices
}

function rateOf(p: ModelPrice[string]): Rate | undefined {
  if (p === undefined) return undefined
  if (typeof p === 'number') return { base: perToken(p), tiers: [] }
  return { base: perToken(p.base), tiers: [...p.tiers].sort((a, b) => a.start - b.start).map((t) => ({ start: t.start, rate: perToken(t.price) })) }
}

/** Rates are a few hundred distinct numbers; parsing each once keeps pricing off the profile. */
const rateCache = new Map<number, bigint>()
function perToken(usdPerMtok: number): bigint {
  let v = rateCache.get(usdPerMtok)
  if (v === undefined) {
    v = parseScaled(usdPerMtok, RATE_SCALE) ?? 0n
    if (rateCache.size < MAX_CACHE) rateCache.set(usdPerMtok, v)
  }
  return v
}
