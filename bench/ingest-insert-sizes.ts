/**
 * The store's own INSERT rate by rows per INSERT: the same pre-encoded Native rows (gateway spans,
 * as bench/ingest.ts sends) inserted back to back into a fresh store, one size after another, each
 * for `--seconds`. Every INSERT has a fixed cost (parts, materialized views), so the rate grows
 * with the INSERT's size; an acknowledged collector cannot make INSERTs larger than the rows its
 * exporters have in flight, so this curve bounds ingest at a given concurrency × batch size.
 *   node bin/run-ts.mjs bench/ingest-insert-sizes.ts [--sizes 512,2048,4096,8192,16384,32768] [--seconds 4]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { storageConfigSchema } from '../collector/config.ts'
import { Normalizer } from '../collector/normalize/index.ts'
import { decodeProtobuf } from '../collector/otlp/decode.ts'
import { encodeNativeBlock } from '../collector/storage/native-block.ts'
import { spanColumns } from '../collector/storage/span-columns.ts'
import { openStore } from '../collector/storage/store.ts'
import { numberedBatches } from './overload-payloads.ts'
import { cpuMicros } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '512,2048,4096,8192,16384,32768' },
    seconds: { type: 'string', default: '4' },
  },
})
const sizes = args.sizes.split(',').map(Number)
const batches = await numberedBatches(4, 512)
const normalizer = new Normalizer()
const rows = Array.from({ length: Math.ceil(Math.max(...sizes) / 512) }, (_, i) =>
  batches.batch(1_000_000 + i),
).flatMap((p) => normalizer.normalize(decodeProtobuf(p), { tenantId: 'default', trustTenantAttribute: true }).rows)
const names = spanColumns.map((c) => c.name)
const dir = mkdtempSync(join(tmpdir(), 'loopgate-bench-insert-sizes-'))
const store = await openStore(storageConfigSchema.parse({ path: dir }))
const load = loadavg()
console.log('rows per INSERT   rows/s   CPU µs/row   ms per INSERT (wall)')
const rates: number[] = []
for (const size of sizes) {
  const block = encodeNativeBlock(spanColumns, rows.slice(0, size))
  await store.insertNative(store.table('spans'), names, block) // warm-up
  let inserted = 0
  const cpu = cpuMicros(process.pid)
  const started = performance.now()
  while (performance.now() - started < Number(args.seconds) * 1000) {
    await store.insertNative(store.table('spans'), names, block)
    inserted += size
  }
  const seconds = (performance.now() - started) / 1000
  rates.push(inserted / seconds)
  console.log(
    `${String(size).padStart(15)} ${(inserted / seconds).toFixed(0).padStart(8)} ${((cpuMicros(process.pid) - cpu) / inserted).toFixed(1).padStart(12)} ${((seconds * 1000 * size) / inserted).toFixed(0).padStart(21)}`,
  )
}
const largest = rates[rates.length - 1]!
console.log(
  `\nas a share of the largest size's rate: ${rates.map((r, i) => `${sizes[i]} → ${(r / largest).toFixed(2)}`).join(', ')}`,
)
console.log(
  `load average at start ${load.map((l) => l.toFixed(2)).join(', ')}, at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
)
await store.close()
rmSync(dir, { recursive: true, force: true })
