// The one price lookup of every component (gateway, collector, evaluator): the maintained table
// (@pydantic/genai-prices), which resolves provider, model and date-dependent prices. Its per-Mtok
// numbers are read at their shortest decimal form, so a cost (lib/pricing.ts) is the table's decimal
// rate × tokens with no binary-float error. Node only (kept out of the UI's type check).
import { createRequire } from 'node:module'
import type { ModelPrice } from '@pydantic/genai-prices'
import { parseScaled } from './money.ts'
import { COST_SCALE, RATE_SCALE, priceProviderId, type Prices, type Quote, type Rate } from './pricing.ts'

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
export function tableQuote(
  provider: string,
  model: string,
  options: { anyProvider?: boolean; atMs?: number } = {},
): Quote | null {
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

const timestamp = (ms: number | undefined): Date =>
  new Date(ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : Date.now())

function resolve(providerId: string | undefined, model: string, anyProvider: boolean, at: Date): Quote | null {
  const { calcPrice } = table()
  let found: ReturnType<GenaiPrices['calcPrice']>
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
  if (typeof mp.requests_kcount === 'number') prices.perRequest = parseScaled(mp.requests_kcount, COST_SCALE - 3) ?? 0n
  return prices
}

function rateOf(p: ModelPrice[string]): Rate | undefined {
  if (p === undefined) return undefined
  if (typeof p === 'number') return { base: perToken(p), tiers: [] }
  return {
    base: perToken(p.base),
    tiers: [...p.tiers].sort((a, b) => a.start - b.start).map((t) => ({ start: t.start, rate: perToken(t.price) })),
  }
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
