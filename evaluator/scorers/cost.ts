import type { Span } from '../../collector/client.ts'
import { formatRounded, parseScaled } from '../../lib/money.ts'
import { tableQuote } from '../../lib/price-table.ts'
import { COST_SCALE, configuredQuote, costOf, type PriceSettings, type TokenUsage } from '../../lib/pricing.ts'
import type { ScoreDraft, Scorer } from './types.ts'

const NAME = 'cost'
const PERCENT_SCALE = 6
/** Costs are shown to 12 decimals (the stored USD scale); `digits` rounds further. */
const formatUnits = (units: bigint, digits = 12): string => formatRounded(units, COST_SCALE, digits)

/** A price the operator configured for a gateway target (`provider/model` unless the target names one). */
export interface ConfiguredPrice extends PriceSettings {
  target: string
}

/**
 * Checks the span's cost against the price table. Categorical (never counted as quality):
 * `computed` (the span had no cost; the exact table cost is in the reason and value),
 * `agrees` / `disagrees` (a provided cost vs the table, beyond `costTolerance`),
 * `unpriced` (no cost and the model is not in the table), `unverified` (a cost, but no table price).
 * A price the operator configured for the span's gateway target (`prices`, filled from the gateway's
 * routes) is checked first: the gateway charges it rather than the table's, and models such as the
 * simulator's or a fine-tune are in no table.
 * The exact decimal is always in the reason; `value` repeats it as a number for charts only.
 */
export function createCostScorer(version = '1', prices: ConfiguredPrice[] = []): Scorer {
  const byTarget = new Map(prices.map((p) => [p.target, p]))
  return {
    name: NAME,
    version,
    async score(span, ctx) {
      return [costDraft(span, ctx.evaluation.costTolerance, byTarget)]
    },
  }
}

interface Expected {
  units: bigint
  provider: string
  model: string
  /** 'configured price' or 'table'. */
  source: string
}

/** The configured price of the span's target, else the table's price of its model. */
function expectedCost(span: Span, prices: ReadonlyMap<string, ConfiguredPrice>): Expected | null {
  const model = span.response_model || span.request_model
  const configured = prices.get(span.target) ?? prices.get(`${span.provider}/${model}`)
  if (configured) {
    const [provider = '', ...rest] = configured.target.split('/')
    const units = costOf(configuredQuote(configured).at(0), usageOf(span))
    if (units !== null) return { units, provider, model: rest.join('/') || model, source: 'configured price' }
  }
  const table = tableCost(span)
  return table ? { ...table, source: 'table' } : null
}

/** The evaluator's cost entry point: the span's exact cost at the shared price table (lib/pricing.ts), in 10^-24 USD; null when unpriced. */
export function tableCost(span: Span): { units: bigint; provider: string; model: string } | null {
  const usage = usageOf(span)
  const model = span.response_model || span.request_model
  const atMs = Number(BigInt(span.start_ns || '0') / 1_000_000n) || Date.now()
  const quote = tableQuote(span.provider, model, { anyProvider: true, atMs })
  const units = quote ? costOf(quote.at(atMs), usage) : null
  return quote && units !== null ? { units, provider: quote.provider, model: quote.model } : null
}

export function costDraft(
  span: Span,
  tolerance: number,
  prices: ReadonlyMap<string, ConfiguredPrice> = new Map(),
): ScoreDraft {
  const usage = usageOf(span)
  const model = span.response_model || span.request_model
  const table = expectedCost(span, prices)
  const tokens = `${usage.input} in / ${usage.output} out`
  const provided =
    span.cost_source === 'none' || span.cost_source === '' ? null : parseScaled(span.cost_usd || '', COST_SCALE)

  if (provided === null) {
    if (!table)
      return draft(
        'unpriced',
        undefined,
        `no cost on the span and no price for ${describe(span.provider, model)} in the table`,
      )
    const cost = formatUnits(table.units)
    return draft('computed', cost, `${table.source} cost ${cost} USD for ${table.provider}/${table.model} (${tokens})`)
  }
  const given = formatUnits(provided)
  if (!table)
    return draft(
      'unverified',
      given,
      `${span.cost_source} cost ${given} USD; no price configured for target ${span.target || '(none)'} and none for ${describe(span.provider, model)} in the table`,
    )
  const expected = formatUnits(table.units)
  const diff = provided > table.units ? provided - table.units : table.units - provided
  const tol = parseScaled(tolerance, PERCENT_SCALE) ?? 0n
  // diff / table > tolerance, without division: diff × 10^6 > tolerance × 10^6 × table
  const beyond = table.units === 0n ? diff > 0n : diff * 10n ** BigInt(PERCENT_SCALE) > tol * table.units
  const pct = table.units === 0n ? 'n/a' : `${formatUnits((diff * 100n * 10n ** BigInt(COST_SCALE)) / table.units, 2)}%`
  const verdict = beyond ? 'disagrees' : 'agrees'
  return draft(
    verdict,
    given,
    `${span.cost_source} cost ${given} USD vs ${table.source} ${expected} USD for ${table.provider}/${table.model} (${tokens}): ` +
      `difference ${formatUnits(diff)} USD (${pct}) ${beyond ? 'exceeds' : 'within'} tolerance ${tolerance * 100}%`,
  )
}

function draft(label: string, cost: string | undefined, reason: string): ScoreDraft {
  return {
    name: NAME,
    data_type: 'categorical',
    label,
    ...(cost !== undefined ? { value: Number(cost) } : {}),
    reason,
    status: 'ok',
  }
}

const usageOf = (span: Span): TokenUsage => ({
  input: whole(span.input_tokens),
  output: whole(span.output_tokens),
  cacheRead: whole(span.cache_read_tokens),
  cacheWrite: whole(span.cache_write_tokens),
})
const whole = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0)
const describe = (provider: string, model: string): string =>
  model ? `${provider || '?'}/${model}` : 'a span without a model'
