import type { ListedPrice, PriceList } from './prices.ts'

interface ScoreboardAnswer {
  targets?: { id?: unknown; price?: { inputPerMTok?: unknown; outputPerMTok?: unknown } | null }[]
}

const perMTok = (v: unknown): number | null => {
  const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN
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
      if (typeof t?.id === 'string' && input !== null && output !== null)
        prices.set(t.id, { inputPerMTok: input, outputPerMTok: output })
    }
    return prices
  }
}
