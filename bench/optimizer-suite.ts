/**
 * The optimizer's validation suite (docs/replay.md › "Validation suite"): generated datasets with
 * a tune and a held-out split, the optimizer beside plain Thompson, ε-greedy and the
 * full-information bound. `npm run bench:optimizer-suite -- --split heldout`.
 */
import { runSuiteCli } from '../optimizer/replay/suite-report.ts'

await runSuiteCli(process.argv.slice(2))
