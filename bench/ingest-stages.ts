/**
 * The collector's JS share of ingest split per stage, in this process on one thread: CPU µs per
 * span to decode the OTLP protobuf, normalize it into rows and encode the rows as a Native block.
 * `root` names the checkout whose collector code is measured, so a baseline (an older commit
 * checked out elsewhere) and this tree run side by side in one benchmark.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

export interface StageSplit {
  decode: number
  normalize: number
  encode: number
  /** Rows per request (the normalizer keeps every span of these payloads). */
  rows: number
}

interface Modules {
  decodeProtobuf(body: Uint8Array, options?: { scalarsAsText?: boolean }): unknown
  Normalizer: new () => {
    normalize(request: unknown, ctx: { tenantId: string; trustTenantAttribute: boolean }): { rows: unknown[] }
  }
  encodeNativeBlock(columns: unknown, rows: unknown[]): Buffer
  spanColumns: unknown
}

async function load(root: string): Promise<Modules> {
  const at = (path: string) => import(pathToFileURL(join(root, path)).href)
  const [decode, normalize, native, columns] = await Promise.all([
    at('collector/otlp/decode.ts'),
    at('collector/normalize/index.ts'),
    at('collector/storage/native-block.ts'),
    at('collector/storage/span-columns.ts'),
  ])
  return {
    decodeProtobuf: decode.decodeProtobuf,
    Normalizer: normalize.Normalizer,
    encodeNativeBlock: native.encodeNativeBlock,
    spanColumns: columns.spanColumns,
  }
}

const cpu = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

/**
 * Runs decode → normalize → encode over `payload(0)`, `payload(1)`, … for about `seconds`, each
 * stage timed on its own (CPU time of this process, so other processes on the machine count less
 * than in wall time). Each payload should carry new ids, as the collector's traffic does.
 */
export async function measureStages(
  root: string,
  payload: (i: number) => Buffer,
  seconds: number,
): Promise<StageSplit> {
  const m = await load(root)
  const normalizer = new m.Normalizer()
  const ctx = { tenantId: 'default', trustTenantAttribute: true }
  for (let i = 0; i < 20; i++)
    m.encodeNativeBlock(
      m.spanColumns,
      normalizer.normalize(m.decodeProtobuf(payload(i), { scalarsAsText: true }), ctx).rows,
    )
  let decode = 0
  let normalize = 0
  let encode = 0
  let spans = 0
  let requests = 0
  const deadline = performance.now() + seconds * 1000
  for (let i = 20; performance.now() < deadline; i++) {
    const body = payload(i)
    const t0 = cpu()
    const request = m.decodeProtobuf(body, { scalarsAsText: true })
    const t1 = cpu()
    const { rows } = normalizer.normalize(request, ctx)
    const t2 = cpu()
    m.encodeNativeBlock(m.spanColumns, rows)
    const t3 = cpu()
    decode += t1 - t0
    normalize += t2 - t1
    encode += t3 - t2
    spans += rows.length
    requests++
  }
  return { decode: decode / spans, normalize: normalize / spans, encode: encode / spans, rows: spans / requests }
}

/**
 * measureStages in a child process (`node nodeArgs… ingest-stages-child.ts`): each checkout in a
 * process of its own, run with the collector's node flags, over batches `firstBatch`, `firstBatch + 1`, …
 */
export async function measureStagesApart(
  root: string,
  options: { seconds: number; firstBatch: number; spans: number; nodeArgs: string[] },
): Promise<StageSplit> {
  const here = join(import.meta.dirname, '..')
  const { stdout } = await promisify(execFile)(process.execPath, [
    ...options.nodeArgs,
    join(here, 'bin/run-ts.mjs'),
    join(here, 'bench/ingest-stages-child.ts'),
    root,
    String(options.seconds),
    String(options.firstBatch),
    String(options.spans),
  ])
  return JSON.parse(stdout.trim().split('\n').pop()!) as StageSplit
}
