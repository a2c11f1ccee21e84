// The gateway's cost entry point: a target's prices (configured, else the shared table's) and the
// exact cost of one call, both decided by lib/pricing.ts as in the collector and the evaluator.
import { tableQuote } from '../lib/price-table.ts'
import { configuredQuote, costOf, toUsdUnits, type PriceSettings, type Quote, type TokenUsage } from '../lib/pricing.ts'

export type PriceSource = Quote['source'] | 'unknown'

/**
 * A target's prices: the configured ones, else the table's for the provider's price id (no fallback
 * to another provider's model of the same name: an OpenAI-compatible upstream serving "llama-3"
 * is not priced as someone else's). Resolved once when the routing table is compiled.
 */
export function targetQuote(
  price: PriceSettings | undefined,
  priceProviderId: string,
  model: string,
): Quote | undefined {
  if (price) return configuredQuote(price, priceProviderId, model)
  return tableQuote(priceProviderId, model, { anyProvider: false }) ?? undefined
}

/** Exact cost of one call in 10^-12 USD, rounded half up once; at the prices in force at `atMs`. */
export function costUnits(usage: TokenUsage, quote: Quote, atMs = Date.now()): bigint {
  return toUsdUnits(costOf(quote.at(atMs), usage) ?? 0n)
}
