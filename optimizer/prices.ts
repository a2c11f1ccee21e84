/** A target's list price as the gateway bills it, USD per million tokens. */
export interface ListedPrice {
  inputPerMTok: number
  outputPerMTok: number
}

/**
 * Where the optimizer reads the prices the gateway bills each target at now (by target id). A target
 * missing from the answer has no known price: its cost is learned from the spans alone. The live
 * implementation asks the gateway (gateway-prices.ts); the replay keeps them in memory.
 */
export interface PriceList {
  read(): Promise<ReadonlyMap<string, ListedPrice>>
}

/**
 * By how much a target's cost per request moves from one listed price to the next. Input and
 * output tokens are weighed alike: the route stats carry costs, not token counts, and a list price
 * change usually moves both by the same factor, where this is exact. The learned price index
 * (beliefs.ts) corrects the rest on the next requests the target serves. Null when the price did
 * not move, or when the old one cannot be scaled from (free).
 */
export function priceRatio(from: ListedPrice, to: ListedPrice): number | null {
  const ratios: number[] = []
  if (from.inputPerMTok > 0) ratios.push(to.inputPerMTok / from.inputPerMTok)
  if (from.outputPerMTok > 0) ratios.push(to.outputPerMTok / from.outputPerMTok)
  if (!ratios.length) return null
  const ratio = ratios.reduce((a, b) => a + b, 0) / ratios.length
  return Math.abs(ratio - 1) < 1e-9 ? null : ratio
}

/**
 * The replay's price list: every target listed, at a price relative to what the data bills it
 * (1 = the data's own costs); a price-change scenario sets the new factor when it starts.
 */
export class MemoryPriceList implements PriceList {
  private readonly factor = new Map<string, number>()

  constructor(targets: readonly string[]) {
    for (const t of targets) this.factor.set(t, 1)
  }

  set(target: string, factor: number): void {
    this.factor.set(target, factor)
  }

  async read(): Promise<ReadonlyMap<string, ListedPrice>> {
    return new Map([...this.factor].map(([t, f]) => [t, { inputPerMTok: f, outputPerMTok: f }]))
  }
}
