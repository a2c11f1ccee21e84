import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { encodeNativeBlock } from '../../collector/storage/native-block.ts'
import { spanColumns } from '../../collector/storage/span-columns.ts'
import { openStore } from '../../collector/storage/store.ts'
import { spanRow } from '../helpers/span-row.ts'

/**
 * A ClickHouse server stand-in on loopback: it records each HTTP request and answers every one
 * with 200 and an empty result, so the server-mode insert path can be checked byte for byte
 * without a ClickHouse server on this machine.
 */
const seen: { query: string; body: Buffer; auth: string | undefined }[] = []
const server = createServer(async (req: IncomingMessage, res) => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const url = new URL(req.url!, 'http://x')
  const body = Buffer.concat(chunks)
  const query = url.searchParams.get('query') ?? body.toString('utf8')
  seen.push({ query, body, auth: req.headers.authorization })
  res.writeHead(200, { 'content-type': 'text/plain', 'x-clickhouse-summary': '{}' })
  res.end()
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
afterAll(() => new Promise((resolve) => server.close(resolve)))

describe('store on a ClickHouse server', () => {
  it('migrates, then sends spans as one Native INSERT over HTTP naming the columns, as the configured user', async () => {
    const store = await openStore(storageConfigSchema.parse({ url, username: 'ingest', password: 'secret' }))
    expect(seen.some((r) => r.query.startsWith('CREATE TABLE IF NOT EXISTS loopgate.spans'))).toBe(true)
    const block = encodeNativeBlock(spanColumns, [spanRow(), spanRow()])
    seen.length = 0
    await store.insertNative(
      'loopgate.spans',
      spanColumns.map((c) => c.name),
      block,
    )
    expect(seen).toHaveLength(1)
    const [insert] = seen
    expect(insert!.query).toMatch(
      /^INSERT INTO loopgate\.spans \(`Timestamp`, `TraceId`, .*`output_text`\) FORMAT Native/,
    )
    expect(insert!.body.equals(block)).toBe(true)
    expect(insert!.auth).toBe(`Basic ${Buffer.from('ingest:secret').toString('base64')}`)
    await store.close()
  })
})
