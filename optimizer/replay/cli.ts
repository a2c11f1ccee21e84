import { parseArgs } from 'node:util'
import type { PolicyName } from './experiments.ts'
import { defaultReportOptions, runReport } from './report.ts'

export const REPLAY_USAGE = `loopgate replay [--data FILE.csv] [--seeds 5] [--rps 10] [--cycle 10]
    [--policies optimizer,plain-thompson,epsilon-greedy,uniform,full-information] [--set '{"learner":{"discount":0.99}}']
    [--sections 1,2,3] [--quick]
Without --data: ../shared/data/routellm MMLU (57 subjects as routes), converted in memory. See docs/replay.md.`

/** `loopgate replay` and `bench/optimizer.ts`: the replay report of the optimizer against baselines. */
export async function runReplayCli(args: string[], print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' }, seeds: { type: 'string' }, rps: { type: 'string' }, cycle: { type: 'string' },
      policies: { type: 'string' }, set: { type: 'string' }, sections: { type: 'string' }, quick: { type: 'boolean', default: false },
    },
  })
  const quick = values.quick ?? false
  await runReport({
    dataFile: values.data,
    seeds: Number(values.seeds ?? (quick ? 2 : defaultReportOptions.seeds)),
    requestsPerSecond: Number(values.rps ?? defaultReportOptions.requestsPerSecond),
    cycleSeconds: Number(values.cycle ?? defaultReportOptions.cycleSeconds),
    policies: (values.policies?.split(',') ?? defaultReportOptions.policies) as PolicyName[],
    overrides: JSON.parse(values.set ?? '{}') as Record<string, unknown>,
    sections: (values.sections ?? '1,2,3').split(','),
    quick,
  }, print)
}
