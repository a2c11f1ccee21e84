// SIGTERM with a forwarding destination that never answers: the collector process still exits 0
// within 5 s (the forward queues get 1 s, then what is left is dropped).
import { createServer, type ServerResponse } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { answers, runCli, tempDir, type CliProcess } from '../delivery/cli-process.ts'
import { freePort } from '../helpers/net.ts'
import { sdkRecorder, toProtobuf } from './fixtures/sdk-spans.ts'

const held: ServerResponse[] = []
const hang = createServer((req, res) => {
  req.resume()
  held.push(res) // never answered
})
await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve))
const hangUrl = `http://127.0.0.1:${(hang.address() as { port: number }).port}/v1/traces`

let collector: CliProcess | undefined
afterAll(async () => {
  collector?.kill()
  for (const res of held) res.destroy()
  hang.closeAllConnections()
  await new Promise<void>((resolve) => hang.close(() => resolve()))
})

describe('collector SIGTERM with a hanging forward destination', () => {
  it('exits 0 within 5 s while a forwarded request hangs', async () => {
    const port = await freePort()
    collector = runCli(['collector'], {
      dir: tempDir('forward-sigterm'),
      yaml: `logLevel: warn\ncollector:\n  port: ${port}\n  serveUi: false\n  forward:\n    - { url: "${hangUrl}", timeoutMs: 60000 }\n`,
    })
    await answers(`http://127.0.0.1:${port}/healthz`)
    const rec = sdkRecorder()
    for (let i = 0; i < 5; i++) {
      rec.reset()
      rec.tracer.startSpan(`op-${i}`).end()
      const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
        method: 'POST',
        body: toProtobuf(rec.spans()),
        headers: { 'content-type': 'application/x-protobuf' },
      })
      expect(res.status).toBe(200)
    }
    const deadline = Date.now() + 10_000
    while (held.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(held.length).toBe(1) // the first request is in flight and hangs; the other four wait in the queue

    const stop = await collector.stop('SIGTERM', 15_000)
    console.log(`SIGTERM → exit ${stop.code ?? stop.signal} after ${stop.ms} ms`)
    expect(stop.timedOut).toBe(false)
    expect(stop.code).toBe(0)
    expect(stop.ms).toBeLessThan(5000)
  })
})
