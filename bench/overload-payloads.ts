import { gatewaySpanPayloads } from './payloads.ts'

const TRACE_MARK = Buffer.from('f00dfeed', 'hex')
const SPAN_MARK = Buffer.from('beefcafe', 'hex')

/**
 * OTLP protobuf batches of gateway-like spans whose ids carry a 4-byte batch number, so many
 * distinct batches come from a few templates made by the real SDK and serializer: the template's
 * ids start with a marker, and `batch(k)` writes k over every marker (trace, span and parent ids
 * alike, so the tree stays intact). The stored TraceId's first 8 hex digits name the batch.
 */
export async function numberedBatches(templates: number, spansPerBatch: number) {
  const made: { bytes: Buffer; marks: number[] }[] = []
  for (let t = 0; t < templates; t++) {
    const bytes = Buffer.from(await template(t, spansPerBatch))
    const marks: number[] = []
    for (const mark of [TRACE_MARK, SPAN_MARK]) {
      for (let at = bytes.indexOf(mark); at >= 0; at = bytes.indexOf(mark, at + 4)) marks.push(at)
    }
    made.push({ bytes, marks })
  }
  return {
    /** Batch k (1 ≤ k < 2³²): its own trace and span ids, the same bytes every time it is asked for. */
    batch(k: number): Buffer {
      const { bytes, marks } = made[k % made.length]!
      const out = Buffer.from(bytes)
      for (const at of marks) out.writeUInt32BE(k, at)
      return out
    },
    batchPrefix: (k: number) => k.toString(16).padStart(8, '0'),
  }
}

/** One template: gateway spans (bench/payloads.ts) whose ids start with the markers. */
async function template(t: number, spans: number): Promise<Uint8Array> {
  let traceCounter = t * 1_000_000
  let spanCounter = t * 1_000_000
  const idGenerator = {
    generateTraceId: () => `f00dfeed${(++traceCounter).toString(16).padStart(24, '0')}`,
    generateSpanId: () => `beefcafe${(++spanCounter).toString(16).padStart(8, '0')}`,
  }
  return (await gatewaySpanPayloads(1, spans, { idGenerator, firstPayload: t }))[0]!
}
