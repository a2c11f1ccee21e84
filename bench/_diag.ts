import { suiteDataset } from '../optimizer/replay/suite.ts'
import { makePolicy, type ExperimentSetup } from '../optimizer/replay/experiments.ts'
import { replay } from '../optimizer/replay/simulate.ts'
import { OptimizerPolicy } from '../optimizer/replay/policies.ts'
const fam = (process.argv[2] ?? 'price-table') as 'price-table'
const lambda = Number(process.argv[3] ?? 50)
const frac = Number(process.argv[4] ?? 1)
const set = JSON.parse(process.argv[5] ?? '{}')
const ds = suiteDataset(fam, 'tune', 1)
const setup: ExperimentSetup = { data: ds.data, seeds: [Number(process.argv[6] ?? 1)], overrides: set, base: { requestsPerSecond: 10, cycleSeconds: 10, regretCostWeight: 50 } }
const pol = makePolicy('optimizer', setup, lambda, setup.seeds[0]!) as OptimizerPolicy
const reasons = new Map<string, number>()
const orig = pol.recorder.record.bind(pol.recorder)
pol.recorder.record = async (ds) => { for (const d of ds) for (const c of (d.inputs as { constraints: string[] }).constraints) { const k = c.replace(/[0-9.]+/g, '#').slice(0, 60); reasons.set(k, (reasons.get(k) ?? 0) + 1) } return orig(ds) }
const t = await replay(ds.data, pol, { ...setup.base, seed: setup.seeds[0]!, scoredFraction: frac })
const k = t.targets.length
const util = new Float64Array(t.routes.length * k); const cnt = new Float64Array(t.routes.length)
for (let i = 0; i < t.route.length; i++) { cnt[t.route[i]!]! += 1; for (let j = 0; j < k; j++) util[t.route[i]! * k + j]! += t.utilities[i * k + j]! }
const half = t.route.length / 2
for (let r = 0; r < t.routes.length; r++) {
  const share = new Float64Array(k); let n = 0
  for (let i = half; i < t.route.length; i++) if (t.route[i] === r) { share[t.chosen[i]!]! += 1; n++ }
  console.log(t.routes[r], t.targets.map((x, j) => `${x}: u=${(util[r * k + j]! / cnt[r]!).toFixed(3)} s=${(share[j]! / n * 100).toFixed(1)}`).join(' | '))
}
console.log([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15))
const last = t.cycles[t.cycles.length - 1]!
import { hindsightRegret } from '../optimizer/replay/metrics.ts'
console.log('regret', hindsightRegret(t))
