import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runReplayCli } from '../../optimizer/replay/cli.ts'
import { formatPaired, pairedDifference, runSuiteCli } from '../../optimizer/replay/suite-report.ts'
import { parseDataset } from '../../optimizer/replay/dataset.ts'
import { crossing, lambdaZero } from '../../optimizer/replay/experiments.ts'
import type { ExperimentSetup } from '../../optimizer/replay/policy-setup.ts'
import { oneRouteCsv } from '../helpers/replay-csv.ts'

/**
 * One route; `strong` scores 0.9, `cheap` 0.8 at a fifth of the price, `weak` 0.3 at nearly the
 * strong target's price — so λ₀ (strongest vs weakest) is far above where 95% is crossed.
 */
const csv = (rows: number, seed: number) =>
  oneRouteCsv(
    { strong: { p: 0.9, cost: 0.01 }, cheap: { p: 0.8, cost: 0.002 }, weak: { p: 0.3, cost: 0.0099 } },
    rows,
    seed,
  )

describe('loopgate replay', () => {
  it('prints its options for --help, and the usage with an unknown option', async () => {
    const out: string[] = []
    await runReplayCli(['--help'], (l) => out.push(l))
    expect(out.join('\n')).toContain('--data FILE.csv')
    expect(out.join('\n')).toContain('--sections')
    await expect(runReplayCli(['--bogus'], () => {})).rejects.toThrow(
      /Unknown option '--bogus'[\s\S]*Usage: loopgate replay/,
    )
  })

  /** `loopgate replay --data` on 600 rows of `csv`, with `args`: the lines it prints. */
  async function replayCsv(args: string[]): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'replay-'))
    try {
      const file = join(dir, 'data.csv')
      writeFileSync(file, csv(600, 2))
      const out: string[] = []
      await runReplayCli(['--data', file, '--seeds', '1', ...args], (l) => out.push(l))
      return out
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it('runs on any CSV given with --data', async () => {
    const out = await replayCsv(['--sections', '2', '--policies', 'optimizer'])
    expect(out.join('\n')).toContain('600 requests, 1 routes')
    expect(out.find((l) => l.startsWith('optimizer'))).toMatch(/100\.0%\s+\|\s+\d\.\d{4}/)
  })

  it("runs TensorZero's track-and-stop as a baseline, on the cost sweeps only (it optimizes one metric)", async () => {
    const out = await replayCsv(['--sections', '1,2', '--policies', 'track-and-stop', '--quick'])
    const rows = out.filter((l) => l.startsWith('track-and-stop'))
    expect(rows.find((l) => l.includes('cost weight λ'))).toMatch(/\d+\.\d%|not reached/)
    expect(rows.find((l) => l.includes('quality floor'))).toContain('not run: it optimizes one metric')
    expect(rows.find((l) => l.includes('100.0%'))).toMatch(/100\.0%\s+\|\s+\d\.\d{4}/)
  })

  it('finds the 95% crossing by bisection where a grid spaced from λ₀ lands past it', async () => {
    const data = parseDataset(csv(3000, 3))
    const setup: ExperimentSetup = {
      data,
      seeds: [1],
      overrides: {},
      base: { requestsPerSecond: 10, cycleSeconds: 10, regretCostWeight: 50 },
    }
    const l0 = lambdaZero(data)
    expect(l0).toBeGreaterThan(1000) // 0.6 quality for $0.0001
    const c = await crossing(setup, 'optimizer', 0.95, l0, new Map(), 6)
    expect(c.at).not.toBeNull()
    // Between cheap's ratio (0.8 / 0.9 = 89%) and strong's: λ where 0.1 quality is worth $0.008, about 12.5.
    expect(c.at!.param).toBeGreaterThan(2)
    expect(c.at!.param).toBeLessThan(l0 / 8)
    expect(1 - c.at!.relCost).toBeGreaterThan(0.1)
  })
})

describe('validation suite: optimizer against a baseline', () => {
  it('compares seed by seed: a small steady gain is "better" though the means overlap', () => {
    // Streams differ far more than the policies: 0.010–0.030 per seed, the optimizer 0.001 under on each.
    const baseline = [0.01, 0.02, 0.03, 0.015, 0.025, 0.012]
    const optimizer = baseline.map((x, i) => x - 0.001 - (i % 2) * 0.0002)
    expect(pairedDifference(optimizer, baseline)).toMatchObject({ mean: expect.closeTo(-0.0011, 6), verdict: 'better' })
    expect(formatPaired(pairedDifference(baseline, optimizer))).toBe('+0.0011 ± 0.0000, worse')
    expect(pairedDifference([0.01, 0.02, 0.015], [0.02, 0.01, 0.015]).verdict).toBe('within 2 SE')
    expect(pairedDifference([0.01], [0.02]).verdict).toBeNull()
  })

  it('offers a candidate setting judged against the current one on the same streams (--against)', async () => {
    const lines: string[] = []
    await runSuiteCli(['--help'], (l) => lines.push(l))
    expect(lines.join('\n')).toMatch(/--against JSON replays the optimizer a second time/)
  })
})
