// The collector's cost entry point: a span's computed cost from the shared price lookup (lib/pricing.ts),
// the same one the gateway and the evaluator use. A producer's unknown provider name (e.g. an
// OpenAI-compatible gateway) does not hide a known model.
import { tableQuote } from '../../lib/price-table.ts'
import { costOf, type TokenUsage } from '../../lib/pricing.ts'

/** Cost in 10^-24 USD units (exact), or null when the model has no usable price. */
export type PriceFn = (provider: string, model: string, usage: TokenUsage, startMs: number) => bigint | null

export function createPricer(): PriceFn {
  return (provider, model, usage, startMs) => {
    const quote = tableQuote(provider, model, { anyProvider: true, atMs: startMs })
    return quote ? costOf(quote.at(startMs), usage) : null
  }
}

/** The price table's provider id for a model ('anthropic' for claude-…), '' when the table does not know it. */
export function providerOfModel(model: string): string {
  return tableQuote('', model, { anyProvider: true })?.provider ?? ''
}
