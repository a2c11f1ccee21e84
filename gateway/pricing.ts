import { createRequire } from 'node:module'
import type { PriceSettings } from './config.ts'
import { usdToUnits } from '../lib/money.ts'
import type { Usage } from './providers/types.ts'

/** Prices in 1e-12 USD per MILLION tokens, so per-token fractions stay exact. */
export interface UnitPrice {
  input: bigint
  output: bigint
  cacheRead: bigint
  cacheWrite: bigint
}

export type PriceSource = 'config' | 'price_table' | 'unknown'

export function unitPrice(p: PriceSettings): UnitPrice {
  const input = usdToUnits(p.input)
  return { input, output: usdToUnits(p.output), cacheRead: p.cacheRead ? usdToUnits(p.cacheRead) : input, cacheWrite: p.cacheWrite ? usdToUnits(p.cacheWrite) : input }
}

const tableCache = new Map<string, UnitPrice | null>()

type CalcPrice = typeof import('@pydantic/genai-prices').calcPrice
let calcPrice: CalcPrice | undefined
/** The table costs ~10 MB of memory: loaded only when a target has no configured price. */
const priceTable = (): CalcPrice => (calcPrice ??= (createRequire(import.meta.url)('@pydantic/genai-prices') as typeof import('@pydantic/genai-prices')).calcPrice)

/** The maintained price table (@pydantic/genai-prices), read once per provider/model. */
export function tablePrice(providerId: string, model: string): UnitPrice | undefined {
  const key = `${providerId}\u0000${model}`
  let hit = tableCache.get(key)
  if (hit === undefined) {
    hit = null
    try {
      const found = priceTable()({ input_tokens: 0, output_tokens: 0 }, model, { providerId })
      const mp = found?.model_price
      const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : v && typeof v === 'object' && 'base' in v ? Number((v as { base: number }).base) : undefined)
      const input = num(mp?.input_mtok)
      const output = num(mp?.output_mtok)
      if (input !== undefined && output !== undefined) {
        hit = unitPrice({ input: input.toFixed(12), output: output.toFixed(12), cacheRead: num(mp?.cache_read_mtok)?.toFixed(12), cacheWrite: num(mp?.cache_write_mtok)?.toFixed(12) })
      }
    } catch {
      hit = null
    }
    tableCache.set(key, hit)
  }
  return hit ?? undefined
}

/** Exact cost in 1e-12 USD, rounded half up once at the end. */
export function costUnits(u: Usage, p: UnitPrice): bigint {
  const uncached = BigInt(Math.max(0, u.input - u.cacheRead - u.cacheWrite))
  const total = uncached * p.input + BigInt(u.cacheRead) * p.cacheRead + BigInt(u.cacheWrite) * p.cacheWrite + BigInt(u.output) * p.output
  return (total + 500_000n) / 1_000_000n
}
