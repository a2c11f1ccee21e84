/**
 * Replay benchmark of the optimizer against baselines (docs/replay.md); the same as `loopgate replay`:
 *
 *   node bin/run-ts.mjs bench/optimizer.ts [--data FILE.csv] [--seeds 5] [--rps 10] [--cycle 10]
 *       [--policies optimizer,plain-thompson,epsilon-greedy,uniform,full-information] [--set '{"learner":{"discount":0.99}}']
 *       [--sections 1,2,3] [--quick]
 */
import { runReplayCli } from '../optimizer/replay/cli.ts'

await runReplayCli(process.argv.slice(2))
