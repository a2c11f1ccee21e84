/**
 * One stage measurement (ingest-stages.ts) in a process of its own, so that one checkout's code
 * does not shape the JIT feedback, or the heap, the other's is measured in (bench/ingest.ts runs
 * a baseline and this tree side by side). Prints the StageSplit as JSON.
 *   node bin/run-ts.mjs bench/ingest-stages-child.ts ROOT SECONDS FIRST_BATCH SPANS
 */
import { measureStages } from './ingest-stages.ts'
import { numberedBatches } from './overload-payloads.ts'

const [root, seconds, first, spans] = process.argv.slice(2)
const batches = await numberedBatches(4, Number(spans))
const split = await measureStages(root!, (i) => batches.batch(Number(first) + i), Number(seconds))
process.stdout.write(`${JSON.stringify(split)}\n`)
