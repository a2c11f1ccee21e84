import type { AdminTargetPrice } from '../lib/admin-api.ts'
import type { ListedPrice, PriceList } from './prices.ts'

/** What the optimizer reads of `GET /admin/targets`; checked field by field, since it comes over the wire. */
interface ScoreboardAnswer {
  targets?: { id?: unknown; price?: Partial<Record<keyof AdminTargetPrice, unknown>> | null }[]
}

/** A rate in USD per million tokens; undefined when absent, null when not a price. */
const perMTok = (v: unknown): number | null | undefined => {
  if (v === undefined) return undefined
  const n = typeof v === 'string' ? Number(v) : NaN
  return Number.isFinite(n) && n >= 0 ? n : null
}

/**
 * The prices the gateway bills each target at now, from its scoreboard (`GET /admin/targets`:
 * the configured price, else the genai-prices table's in force today). Targets without a known
 * price are left out.
 */
export class GatewayPriceList implements PriceList {
  constructor(private readonly options: { baseUrl: string; adminToken: string; fetch?: typeof fetch }) {}

  async read(): Promise<ReadonlyMap<string, ListedPrice>> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/admin/targets`
    let res: Response
    try {
      res = await (this.options.fetch ?? globalThis.fetch)(url, {
        headers: { authorization: `Bearer ${this.options.adminToken}` },
      })
    } catch (err) {
      throw new Error(`gateway unreachable at ${url}: ${(err as Error).message}`, { cause: err })
    }
    const text = await res.text()
    if (!res.ok) throw new Error(`GET ${url} failed with HTTP ${res.status}: ${text.slice(0, 500)}`)
    let answer: ScoreboardAnswer
    try {
      answer = JSON.parse(text) as ScoreboardAnswer
    } catch {
      throw new Error(`GET ${url} did not answer JSON: ${text.slice(0, 200)}`)
    }
    if (!Array.isArray(answer?.targets)) throw new Error(`GET ${url} answered no "targets" list`)
    const prices = new Map<string, ListedPrice>()
    for (const t of answer.targets) {
      const input = perMTok(t?.price?.inputPerMTok)
      const output = perMTok(t?.price?.outputPerMTok)
      // A rate the table does not have costs nothing; a target with neither (or a malformed one) is not listed.
      if (typeof t?.id !== 'string' || input === null || output === null || (input ?? output) === undefined) continue
      prices.set(t.id, { inputPerMTok: input ?? 0, outputPerMTok: output ?? 0 })
    }
    return prices
  }
}
