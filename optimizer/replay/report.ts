/**
 * The replay report (docs/replay.md): cost saving at 95%/98% of the strongest target's quality,
 * hindsight regret with 100% and 10% scored, and three injected scenarios — for the optimizer and
 * the baselines. Used by `bench/optimizer.ts` and `loopgate replay`.
 */
import { readFileSync } from 'node:fs'
import { objectiveSchema } from '../config.ts'
import { parseDataset, type Dataset } from './dataset.ts'
import { flattenCosts } from './flat-costs.ts'
import { atQuality, crossing, regret, sweep, type SweepPoint } from './experiments.ts'
import { changePoint, scenarios } from './scenario-runs.ts'
import { hindsightCallsCurve } from './hindsight.ts'
import { HINDSIGHT_REFERENCES, POLICIES, type ExperimentSetup, type PolicyName } from './policy-setup.ts'
import { quantileOf } from './metrics.ts'
import { convertMmlu, ROUTELLM_DIR } from './routellm.ts'
import { rankTargets } from './scenarios.ts'

export interface ReportOptions {
  /** Replay CSV; absent → RouteLLM MMLU converted in memory. */
  dataFile?: string
  seeds: number
  requestsPerSecond: number
  cycleSeconds: number
  policies: PolicyName[]
  /** Optimizer settings overrides (the `optimizer` config section's shape). */
  overrides: Record<string, unknown>
  sections: string[]
  quick: boolean
}

export const defaultReportOptions: ReportOptions = {
  seeds: 5,
  requestsPerSecond: 10,
  cycleSeconds: 10,
  policies: [...POLICIES],
  overrides: {},
  sections: ['1', '2', '3'],
  quick: false,
}

const REPORT_LAMBDA = 50

export async function runReport(o: ReportOptions, print: (line: string) => void = console.log): Promise<void> {
  for (const p of o.policies)
    if (!POLICIES.includes(p)) throw new Error(`unknown policy "${p}" (known: ${POLICIES.join(', ')})`)
  const { quick, sections, policies, dataFile } = o
  const seedCount = o.seeds
  const data: Dataset = dataFile
    ? parseDataset(readFileSync(dataFile, 'utf8'), dataFile)
    : parseDataset(convertMmlu(readFileSync(`${ROUTELLM_DIR}/routellm_mmlu.csv`, 'utf8')), 'routellm MMLU')
  const rank = rankTargets(data)
  const strongest = data.targets[rank.strongest]!
  const setup: ExperimentSetup = {
    data,
    seeds: Array.from({ length: seedCount }, (_, i) => i + 1),
    overrides: o.overrides,
    base: { requestsPerSecond: o.requestsPerSecond, cycleSeconds: o.cycleSeconds, regretCostWeight: REPORT_LAMBDA },
  }
  const perCycle = setup.base.requestsPerSecond * setup.base.cycleSeconds

  const pct = (x: number | undefined | null) =>
    x == null || !Number.isFinite(x) ? '  n/a' : `${(x * 100).toFixed(1)}%`
  const f3 = (x: number) => x.toFixed(4)
  const med = (xs: (number | null)[]) => {
    const ok = xs.filter((x): x is number => x !== null)
    const miss = xs.length - ok.length
    return ok.length
      ? `${quantileOf(ok, 0.5)}${miss ? ` (${miss}/${xs.length} never)` : ''}`
      : `never (${xs.length}/${xs.length})`
  }

  print(`# Optimizer replay — ${dataFile ?? 'RouteLLM MMLU'}`)
  print(
    `${data.requests.length} requests, ${data.routes.length} routes, targets: ${data.targets.map((t, i) => `${t} (q=${rank.meanScore[i]!.toFixed(3)}, $${rank.meanCost[i]!.toExponential(2)}/req)`).join(', ')}`,
  )
  print(
    `strongest: ${strongest}; seeds: ${seedCount}; ${perCycle} requests per cycle (${setup.base.requestsPerSecond} req/s, cycle ${setup.base.cycleSeconds} s); overrides: ${JSON.stringify(setup.overrides)}\n`,
  )

  // λ grid in units of the dataset's own exchange rate (mean quality gap / mean cost gap of strongest vs weakest).
  const dq = rank.meanScore[rank.strongest]! - rank.meanScore[rank.weakest]!
  const dc = Math.abs(rank.meanCost[rank.strongest]! - rank.meanCost[rank.weakest]!) || 1e-9
  const lambda0 = dq / dc
  // A coarse grid for the printed curve; the 95% and 98% crossings are found by bisection (experiments.ts › crossing).
  const multipliers = quick ? [0, 1] : [0, 0.5, 1, 2]
  const grid = [...multipliers.map((m) => m * lambda0), REPORT_LAMBDA].sort((a, b) => a - b)
  // Relative quality floors in units of the dataset's own quality ratio r (weakest / strongest mean): 1 − m·(1 − r).
  const ratio =
    rank.meanScore[rank.strongest]! > 0 ? rank.meanScore[rank.weakest]! / rank.meanScore[rank.strongest]! : 0
  const floors = (quick ? [0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1, 1.25]).map((m) => Math.max(0, 1 - m * (1 - ratio)))
  // The calls sweep: λ on flat per-target costs (flattenCosts), where every call of a target costs its mean, in units of λ₀ (the means are unchanged).
  const callMultipliers = quick ? [0.5, 1] : [0.25, 0.5, 0.75, 1, 1.5]
  const flat = flattenCosts(data)
  const sweeps = [
    { name: 'cost weight λ', symbol: 'λ', digits: 0, objectives: grid.map((l) => ({ param: l, objective: l })), data },
    {
      name: 'quality floor',
      symbol: 'floor',
      digits: 3,
      objectives: floors.map((f) => ({
        param: f,
        objective: objectiveSchema.parse({ kind: 'floor', qualityFloor: { relative: f } }),
      })),
      data,
    },
    {
      name: 'calls (flat λ)',
      symbol: 'λc',
      digits: 1,
      objectives: callMultipliers.map((m) => ({ param: m * lambda0, objective: m * lambda0 })),
      data: flat,
    },
  ]

  if (sections.includes('1')) {
    print(`## 1. Cost saving vs always ${strongest} (one online pass, exploration included)`)
    print(
      `Swept: the cost weight λ of quality − λ·cost from ${grid.map((l) => l.toFixed(0)).join(', ')}, each crossing of 95% / 98% then found by bisection on λ; and the relative quality floor of "cheapest target with quality ≥ floor × the route's best" over ${floors.map((f) => f.toFixed(3)).join(', ')}; and λ on flat per-target costs (every call of a target costs its mean: fewer calls, not dollars) from ${callMultipliers.map((m) => (m * lambda0).toFixed(1)).join(', ')}, also bisected.`,
    )
    print(
      'policy               | objective swept | @95% quality: cost saving, fewer strongest calls | @98%: cost saving, fewer calls',
    )
    const p50s: string[] = []
    for (const p of policies.filter((x) => !HINDSIGHT_REFERENCES.includes(x))) {
      for (const sw of sweeps) {
        let points: SweepPoint[]
        let cells: [ReturnType<typeof atQuality>, ReturnType<typeof atQuality>]
        if (p === 'uniform') {
          points = await sweep(setup, p, [{ param: REPORT_LAMBDA, objective: REPORT_LAMBDA }])
          cells = [atQuality(points, 0.95), atQuality(points, 0.98)]
        } else if (sw.symbol === 'floor' && p === 'track-and-stop') {
          print(`${p.padEnd(20)} | ${sw.name.padEnd(15)} | not run: it optimizes one metric, not a floor on quality`)
          continue
        } else if (sw.symbol === 'floor') {
          points = await sweep(setup, p, sw.objectives, sw.data)
          cells = [atQuality(points, 0.95), atQuality(points, 0.98)]
        } else {
          // λ sweeps: each crossing found by bisection (the grid's points seed the cache, for the printed curve).
          const cache = new Map<number, SweepPoint>()
          for (const x of await sweep(setup, p, sw.objectives, sw.data)) cache.set(x.param, x)
          const c95 = await crossing(setup, p, 0.95, lambda0, cache, quick ? 5 : 8, sw.data)
          const c98 = await crossing(setup, p, 0.98, lambda0, cache, quick ? 5 : 8, sw.data)
          points = [...cache.values()].sort((a, b) => a.param - b.param)
          cells = [c95.at, c98.at]
        }
        const cell = (a: ReturnType<typeof atQuality>) =>
          a
            ? `${pct(1 - a.relCost)}, ${pct(1 - a.strongestShare)} (${sw.symbol}≈${a.param.toFixed(sw.digits)})`
            : 'not reached'
        print(`${p.padEnd(20)} | ${sw.name.padEnd(15)} | ${cell(cells[0]).padEnd(48)} | ${cell(cells[1])}`)
        if (p === 'optimizer' || p === 'full-information')
          for (const x of points)
            print(
              `    ${sw.symbol}=${x.param.toFixed(sw.digits || 1).padStart(6)}: quality ${pct(x.relQuality)} of strongest, cost ${pct(x.relCost)}, strongest share ${pct(x.strongestShare)}`,
            )
        const p50 = points.find((x) => x.param === REPORT_LAMBDA && sw.symbol === 'λ')
        if (p50) p50s.push(`${p}: ${pct(p50.strongestShare)} (quality ${pct(p50.relQuality)} of strongest)`)
        if (p === 'uniform') break
      }
    }
    const hindsight = hindsightCallsCurve(data, rank.strongest)
    const hcell = (a: ReturnType<typeof atQuality>) =>
      a ? `${pct(1 - a.relCost)}, ${pct(1 - a.strongestShare)} (λc≈${a.param.toFixed(1)})` : 'not reached'
    print(
      `${'hindsight (static)'.padEnd(20)} | ${'calls (flat λ)'.padEnd(15)} | ${hcell(atQuality(hindsight, 0.95)).padEnd(48)} | ${hcell(atQuality(hindsight, 0.98))}`,
    )
    print(
      `hindsight (static): each route's best target over the whole data under λ on flat costs, no learning; full-information: a bound, told every target's outcome on every request`,
    )
    print(`share of ${strongest} calls at λ=${REPORT_LAMBDA}: ${p50s.join('; ')}`)
    print(`goal: ≥ 55% fewer ${strongest} calls at 95% of its quality in one online pass\n`)
  }

  if (sections.includes('2')) {
    print(
      `## 2. Regret per request vs the best fixed per-route mix in hindsight (utility = quality − ${REPORT_LAMBDA}·cost)`,
    )
    print(
      'policy               | scored | regret/request | first half | second half | second/first | per pass: change alarms pooled / per route, rollbacks',
    )
    for (const p of policies) {
      for (const frac of [1, 0.1]) {
        const r = await regret(setup, p, REPORT_LAMBDA, frac)
        const e = r.events
          ? `${r.events.pooledChanges.toFixed(1)} / ${r.events.routeChanges.toFixed(1)}, ${r.events.rollbacks.toFixed(1)}`
          : '—'
        print(
          `${p.padEnd(20)} | ${pct(frac).padStart(6)} | ${f3(r.perRequest).padStart(14)} | ${f3(r.firstHalf).padStart(10)} | ${f3(r.secondHalf).padStart(11)} | ${(r.secondHalf / r.firstHalf).toFixed(2).padStart(12)} | ${e}`,
        )
      }
    }
    print(
      'goal: ≤ 0.010/request and second half ≤ ⅓ of the first; nothing changes in this stream, so every alarm and rollback is a false one\n',
    )
  }

  const length = Math.max(data.requests.length, quick ? 9_000 : 18_000)
  const outageLength = 2_000
  if (sections.includes('3')) {
    print(
      `## 3. Injected scenarios (stream of ${length} requests, change at request ${changePoint(setup, length)} (a cycle boundary), λ=${REPORT_LAMBDA}; medians over seeds)`,
    )
    print(
      'policy               | outage: cycles / requests to share<5% | re-admitted (requests after recovery) | drift: route requests to share<5% median / p95 (never) | price 0.3×: cycles to cost estimate / to share +5pt | drift with 10% scored',
    )
    // The full-information bound learns without forgetting on a stream where nothing changes; it is no reference for reacting to a change.
    if (policies.includes('full-information') || policies.includes('known-structure'))
      print(
        '(full-information and known-structure are not run here: they are references for a stream where nothing changes)',
      )
    for (const p of policies.filter((x) => x !== 'full-information' && !HINDSIGHT_REFERENCES.includes(x))) {
      const s = await scenarios(setup, p, REPORT_LAMBDA, length, outageLength)
      const sparse = await scenarios(setup, p, REPORT_LAMBDA, length, outageLength, {
        scoredFraction: 0.1,
        only: ['drift'],
      })
      const driftCell = (x: typeof s.drift) => {
        const d = x.routeRequests
        return `${d.length ? `${quantileOf(d, 0.5)} / ${quantileOf(d, 0.95)}` : 'n/a'} (${x.censored} of ${d.length + x.censored} never${x.censored ? ` — those had a median of ${quantileOf(x.censoredRemaining, 0.5)} requests left` : ''}; ${x.indistinct} with gap < 0.02 left out)`
      }
      print(
        `${p.padEnd(20)} | ${`${med(s.outage.cyclesToDrain)} / ${med(s.outage.requestsToDrain)}`.padEnd(37)} | ${med(s.outage.requestsToReadmit).padEnd(37)} | ${driftCell(s.drift).padEnd(54)} | ${med(s.price.cyclesToEstimate)} / ${med(s.price.cyclesToShare)} | ${driftCell(sparse.drift)}`,
      )
    }
    print(
      `goals: outage rerouted within 1 cycle (${perCycle} requests); drift median ≤ 300, p95 ≤ 1,000 requests; re-admitted within 2,000; price change reflected next cycle`,
    )
  }
}
