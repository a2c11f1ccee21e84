/**
 * The validation suite's report (docs/replay.md › "Validation suite"): per dataset of a split, the
 * optimizer beside its baselines — regret at λ = 50 (100% and 10% scored, and the optimizer's
 * difference from each baseline seed by seed on the same streams), cost saving at 95% and
 * 98% of the strongest target's quality (crossings found by bisection), steady-state shares, and the
 * injected scenarios — then the mean per family.
 */
import { parseArgs } from 'node:util'
import { quantileOf } from './metrics.ts'
import { crossing, lambdaZero, regret, steadyShares, type SweepPoint } from './experiments.ts'
import { scenarios, type ScenarioResult } from './scenario-runs.ts'
import type { ExperimentSetup, PolicyName } from './policy-setup.ts'
import { localRegretBound } from './lower-bound.ts'
import { separability } from './separability.ts'
import { FAMILIES, suite, type Family, type Split } from './suite.ts'

const LAMBDA = 50
const BASELINES: PolicyName[] = ['plain-thompson', 'epsilon-greedy', 'track-and-stop']
const PARTS = ['regret', 'saving', 'shares', 'scenarios'] as const

export const SUITE_USAGE = `node bin/run-ts.mjs bench/optimizer-suite.ts [--split tune|heldout] [--families ${FAMILIES.join(',')}]
    [--seeds 3] [--parts ${PARTS.join(',')}] [--set '{"learner":{...}}'] [--against '{...}']
The validation suite (docs/replay.md): generated datasets, tune and held-out splits. Report on --split heldout only.
--against JSON replays the optimizer a second time with these overrides instead of --set's and compares the two
seed by seed on the same streams: a candidate setting (--set) judged against the current one (--against '{}').`

type Row = Record<string, string>

export async function runSuiteCli(
  args: string[],
  print: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      split: { type: 'string' },
      families: { type: 'string' },
      seeds: { type: 'string' },
      parts: { type: 'string' },
      set: { type: 'string' },
      against: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return print(SUITE_USAGE)
  const split = (values.split ?? 'tune') as Split
  if (split !== 'tune' && split !== 'heldout') throw new Error(`--split: "tune" or "heldout", not "${split}"`)
  const families = (values.families?.split(',') ?? FAMILIES) as Family[]
  for (const f of families)
    if (!FAMILIES.includes(f)) throw new Error(`unknown family "${f}" (known: ${FAMILIES.join(', ')})`)
  const seeds = Array.from({ length: Number(values.seeds ?? 3) }, (_, i) => i + 1)
  const parts = values.parts?.split(',') ?? [...PARTS]
  const overrides = JSON.parse(values.set ?? '{}') as Record<string, unknown>
  const against = values.against === undefined ? null : (JSON.parse(values.against) as Record<string, unknown>)
  print(
    `# Validation suite — ${split} split; replay seeds ${seeds.join(', ')}; 100 requests per cycle; λ = ${LAMBDA}; overrides ${JSON.stringify(overrides)}${against ? `, against ${JSON.stringify(against)}` : ''}`,
  )
  const byFamily = new Map<Family, Row[]>()
  const verdicts = new Map<string, Verdict[]>()
  for (const ds of suite(split, families)) {
    const setup: ExperimentSetup = {
      data: ds.data,
      seeds,
      overrides,
      base: { requestsPerSecond: 10, cycleSeconds: 10, regretCostWeight: LAMBDA },
    }
    print(
      `\n## ${ds.label}: ${ds.data.requests.length} requests, ${ds.data.routes.length} routes, ${ds.data.targets.length} targets`,
    )
    const row: Row = {}
    if (parts.includes('regret')) {
      for (const frac of [1, 0.1]) {
        let optimizer: number[] = []
        const compare = (other: string, perSeed: number[]) => {
          const d = pairedDifference(optimizer, perSeed)
          const key = `optimizer − ${other} ${frac * 100}%`
          row[key] = formatPaired(d)
          verdicts.set(key, [...(verdicts.get(key) ?? []), d.verdict])
          print(`  optimizer − ${other} on the same streams: ${row[key]}`)
        }
        for (const p of ['optimizer', ...BASELINES, 'known-structure', 'full-information'] as PolicyName[]) {
          const r = await regret(setup, p, LAMBDA, frac)
          if (p === 'optimizer') optimizer = r.perSeed
          const cell = `${r.perRequest.toFixed(4)} (${r.firstHalf.toFixed(4)} → ${r.secondHalf.toFixed(4)}, ${(r.secondHalf / r.firstHalf).toFixed(2)})`
          row[`regret ${frac * 100}% ${p}`] = cell
          print(
            `regret/request, ${frac * 100}% scored, ${p}: ${cell}${r.events ? `; alarms ${r.events.pooledChanges.toFixed(1)} / ${r.events.routeChanges.toFixed(1)}, rollbacks ${r.events.rollbacks.toFixed(1)}` : ''}`,
          )
          if (BASELINES.includes(p)) compare(p, r.perSeed)
        }
        const bound = localRegretBound(ds.data, LAMBDA, frac).toFixed(4)
        row[`regret ${frac * 100}% local lower bound`] = bound
        print(`regret/request, ${frac * 100}% scored, instance-local lower bound (lower-bound.ts): ${bound}`)
        if (against) {
          const name = `optimizer ${JSON.stringify(against)}`
          const r = await regret({ ...setup, overrides: against }, 'optimizer', LAMBDA, frac)
          print(`regret/request, ${frac * 100}% scored, ${name}: ${r.perRequest.toFixed(4)}`)
          compare(name, r.perSeed)
        }
      }
    }
    if (parts.includes('saving')) {
      const l0 = lambdaZero(ds.data)
      const savingSetup = { ...setup, seeds: seeds.slice(0, 2) }
      for (const p of ['optimizer', 'plain-thompson', 'track-and-stop', 'full-information'] as PolicyName[]) {
        const cache = new Map<number, SweepPoint>()
        for (const level of [0.95, 0.98]) {
          const c = await crossing(savingSetup, p, level, l0, cache, 5)
          const cell = c.at
            ? `${pct(1 - c.at.relCost)} (λ≈${c.at.param.toPrecision(3)})`
            : `not reached (λ = 0: ${pct(c.best.relQuality)} of the strongest's quality)`
          row[`saving ${level * 100}% ${p}`] = c.at ? pct(1 - c.at.relCost) : 'not reached'
          print(`cost saving at ${level * 100}% of the strongest's quality, ${p}: ${cell}`)
        }
      }
    }
    if (parts.includes('shares')) {
      const tellable = separability(ds.data, TELL_Z).tellableShare
      row['λ=0 best tellable'] = pct(tellable)
      print(
        `each route's best-quality target can be told from its runner-up (one-sided 99%) by the second half on ${pct(tellable)} of the traffic`,
      )
      for (const p of ['optimizer', 'plain-thompson'] as PolicyName[]) {
        const zero = await steadyShares(setup, p, 0)
        const fifty = await steadyShares(setup, p, LAMBDA)
        row[`λ=0 best share ${p}`] = `${pct(zero.bestQuality)} (quality ${pct(zero.relQuality)} of the best's)`
        row[`dominated share ${p}`] = pct(fifty.dominated)
        print(
          `second half, ${p}: λ = 0 share of each route's best-quality target ${pct(zero.bestQuality)}, quality ${pct(zero.relQuality)} of theirs; λ = ${LAMBDA} share of dominated targets ${pct(fifty.dominated)}`,
        )
      }
    }
    if (parts.includes('scenarios')) {
      const length = Math.max(ds.data.requests.length, 18_000)
      const drift = (d: ScenarioResult['drift']) =>
        d.routeRequests.length
          ? `${quantileOf(d.routeRequests, 0.5)} / ${quantileOf(d.routeRequests, 0.95)} (${d.censored} of ${d.routeRequests.length + d.censored} never)`
          : `n/a (${d.censored} never, ${d.indistinct} indistinct)`
      // The baselines beside the optimizer: what its guardrails and change detection are worth.
      for (const p of ['optimizer', ...BASELINES] as PolicyName[]) {
        const s = await scenarios(setup, p, LAMBDA, length, 2_000, { subject: 'leader' })
        const sparse = await scenarios(setup, p, LAMBDA, length, 2_000, {
          subject: 'leader',
          scoredFraction: 0.1,
          only: ['drift'],
        })
        const of = (key: string) => (p === 'optimizer' ? key : `${key} (${p})`)
        row[of('outage cycles')] = med(s.outage.cyclesToDrain)
        row[of('readmit')] = med(s.outage.requestsToReadmit)
        row[of('drift 100%')] = drift(s.drift)
        row[of('drift 10%')] = drift(sparse.drift)
        row[of('price')] = `${med(s.price.cyclesToEstimate)} / ${med(s.price.cyclesToShare)}`
        print(
          `${p} scenarios (subject: the λ = ${LAMBDA} leader): outage ${row[of('outage cycles')]} cycles, re-admitted after ${row[of('readmit')]} requests; drift route requests to share < 5% median / p95: 100% scored ${row[of('drift 100%')]}, 10% scored ${row[of('drift 10%')]}; price × 0.3 on the strongest: cycles to estimate / +5 pt share ${row[of('price')]}`,
        )
      }
    }
    byFamily.set(ds.family, [...(byFamily.get(ds.family) ?? []), row])
  }
  print(`\n## Per family (${split}; instances listed above)`)
  for (const [family, rows] of byFamily) {
    print(`### ${family}`)
    for (const key of Object.keys(rows[0] ?? {})) print(`- ${key}: ${rows.map((r) => r[key]).join(' | ')}`)
  }
  if (verdicts.size) print(`\n## Against the baselines, seed by seed (${split}; verdicts at 2 standard errors)`)
  for (const [key, vs] of verdicts) {
    const count = (v: Verdict) => vs.filter((x) => x === v).length
    print(
      `- ${key}: better on ${count('better')}, within 2 SE on ${count('within 2 SE')}, worse on ${count('worse')} of ${vs.length}`,
    )
  }
}

/**
 * The optimizer's regret minus a baseline's, seed by seed (the same stream order for both): its mean
 * ± standard error, and the verdict at 2 standard errors. Pairing removes the streams' own luck,
 * which dominates a comparison of the two means.
 */
export function pairedDifference(optimizer: readonly number[], baseline: readonly number[]): PairedDifference {
  const d = optimizer.map((x, i) => x - baseline[i]!)
  const mean = d.reduce((a, b) => a + b, 0) / d.length
  const se = d.length > 1 ? Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1) / d.length) : NaN
  const verdict = !(se > 0) ? null : mean > 2 * se ? 'worse' : mean < -2 * se ? 'better' : 'within 2 SE'
  return { mean, se, verdict }
}

type Verdict = 'better' | 'worse' | 'within 2 SE' | null
export interface PairedDifference {
  mean: number
  se: number
  /** null with one seed: no standard error. */
  verdict: Verdict
}

export const formatPaired = (d: PairedDifference): string =>
  `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(4)} ± ${d.se.toFixed(4)}${d.verdict ? `, ${d.verdict}` : ''}`

/** One-sided 99%: the λ = 0 share goal is 99% on the best-quality target. */
const TELL_Z = 2.33
const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const med = (xs: (number | null)[]) => {
  const ok = xs.filter((x): x is number => x !== null)
  return ok.length
    ? `${quantileOf(ok, 0.5)}${ok.length < xs.length ? ` (${xs.length - ok.length}/${xs.length} never)` : ''}`
    : 'never'
}
