import { describe, expect, it } from 'vitest'
import { parseDataset } from '../../optimizer/replay/dataset.ts'
import { localRegretBound } from '../../optimizer/replay/lower-bound.ts'

/** One route of 1,000 requests: `best` right on 70% of them, `other` on 60%, both at the same cost. */
function exact(bestRight: number, otherRight: number, rows = 1_000) {
  const lines = ['route,best|score,best|cost_usd,other|score,other|cost_usd']
  for (let i = 0; i < rows; i++) lines.push(`chat,${i < bestRight ? 1 : 0},0.001,${i < otherRight ? 1 : 0},0.001`)
  return parseDataset(lines.join('\n') + '\n')
}

const kl = (p: number, q: number) => p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q))

describe('instance-local lower bound on regret', () => {
  it('is the B at which B = Δ·ln(Δ·T / 8B) / (f·kl) for the one cell, growing as fewer requests are scored', () => {
    const data = exact(700, 600)
    const gap = 0.1
    for (const f of [1, 0.1]) {
      const b = localRegretBound(data, 50, f) * 1_000
      expect(b / ((gap * Math.log((gap * 1_000) / (8 * b))) / (f * kl(0.6, 0.8)))).toBeCloseTo(1, 6)
    }
    expect(localRegretBound(data, 50, 0.1)).toBeGreaterThan(3 * localRegretBound(data, 50, 1))
  })

  it('counts no cell whose alternative would need a quality above 1, and nothing on a route without a gap', () => {
    expect(localRegretBound(exact(950, 700), 50, 1)).toBe(0)
    expect(localRegretBound(exact(700, 700), 50, 1)).toBe(0)
  })
})
