import { parseArgs } from 'node:util'
import type { PolicyName } from './policy-setup.ts'
import { defaultReportOptions, runReport } from './report.ts'

export const REPLAY_USAGE = `Usage: loopgate replay [options]   (the same as node bin/run-ts.mjs bench/optimizer.ts [options])

The optimizer's offline replay report (docs/replay.md): the production optimizer and baselines on a
recorded stream — 1. cost saving at 95%/98% of the strongest target's quality, 2. regret per request,
3. injected outage, quality drift (100% and 10% scored) and price change.

Options:
  --data FILE.csv     replay CSV: a "route" column and per target TARGET|score (0–1), TARGET|cost_usd,
                      optionally TARGET|latency_ms (docs/replay.md › Input). Default: the RouteLLM
                      MMLU data (../shared/data/routellm, 57 subjects as routes), converted in memory
  --seeds N           replay seeds (stream orders) per measurement (default 5; --quick: 2)
  --rps N             simulated requests per second (default 10)
  --cycle S           optimizer cycle in simulated seconds (default 10: 100 requests per cycle)
  --policies LIST     comma-separated: optimizer, plain-thompson, epsilon-greedy, track-and-stop
                      (TensorZero's adaptive A/B test; not on the quality-floor sweep), uniform,
                      full-information (a bound, not a router), known-structure (a reference
                      told the stream's structure; regret only); default all
  --sections LIST     comma-separated sections to run: 1, 2, 3 (default all)
  --set JSON          overrides of the optimizer config section, e.g. '{"learner":{"discount":0.99}}'
  --quick             2 seeds, a shorter grid, a shorter scenario stream
  -h, --help          this help`

/** `loopgate replay` and `bench/optimizer.ts`: the replay report of the optimizer against baselines. */
export async function runReplayCli(
  args: string[],
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<void> {
  const parsed = (() => {
    try {
      return parseArgs({
        args,
        options: {
          data: { type: 'string' },
          seeds: { type: 'string' },
          rps: { type: 'string' },
          cycle: { type: 'string' },
          policies: { type: 'string' },
          set: { type: 'string' },
          sections: { type: 'string' },
          quick: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      })
    } catch (err) {
      throw new Error(`${(err as Error).message}\n\n${REPLAY_USAGE}`, { cause: err })
    }
  })()
  const { values } = parsed
  if (values.help) return print(REPLAY_USAGE)
  for (const key of ['seeds', 'rps', 'cycle'] as const) {
    const v = values[key]
    if (v !== undefined && !(Number(v) > 0))
      throw new Error(`--${key}: "${v}" is not a positive number\n\n${REPLAY_USAGE}`)
  }
  const quick = values.quick ?? false
  await runReport(
    {
      dataFile: values.data,
      seeds: Number(values.seeds ?? (quick ? 2 : defaultReportOptions.seeds)),
      requestsPerSecond: Number(values.rps ?? defaultReportOptions.requestsPerSecond),
      cycleSeconds: Number(values.cycle ?? defaultReportOptions.cycleSeconds),
      policies: (values.policies?.split(',') ?? defaultReportOptions.policies) as PolicyName[],
      overrides: JSON.parse(values.set ?? '{}') as Record<string, unknown>,
      sections: (values.sections ?? '1,2,3').split(','),
      quick,
    },
    print,
  )
}
