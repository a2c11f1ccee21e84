/**
 * `node bin/run-ts.mjs bench/gateway.ts [--seconds 10] [--rounds 2] [--cpu-prof DIR] [--only cache|stream|json] [--baseline DIR]`
 *
 * `--only cache` runs only the response-cache pair (and direct, for reference); `--only stream` only
 * the streaming scenario; `--only json` only the non-streamed one.
 * `--cpu-prof DIR` writes the gateway process's V8 CPU profile there when it stops.
 * `--baseline DIR` also starts the gateway of another checkout (e.g. `git archive` of the commit
 * before a change, with a `node_modules` link) as `loopgate@base`: before and after in one run.
 *
 * Loopback only. Configurations, interleaved, at c=50, c=10 and c=1, against the simulated provider
 * (0 ms latency, ~1 KB request body): direct to the simulator; a raw-bytes proxy (node:http +
 * undici, the upstream body's bytes piped untouched: the floor any proxy pays); a thin Fastify +
 * undici proxy that parses the request and re-serializes it (a stream relayed as it comes, through a
 * hijacked reply: the framework's floor); the Loopgate gateway with auth, routing,
 * budgets and tracing on, started as users start it (`bin/loopgate.mjs gateway --config`: the
 * compiled server when `npm run build` is current); the same with tracing off (what the spans cost,
 * side by side). Every server runs in its own child process, so its CPU time and RSS are its own
 * (read from /proc).
 *
 * After each scenario a cost line splits the gateway's CPU per request over the raw proxy's: the
 * Fastify floor (thin − raw), the gateway's own work without spans (untraced − thin), the spans
 * (traced − untraced), beside what the goal allows.
 *
 * Streaming: the same servers relay a streamed answer (24 SSE events: role, 20 content deltas, finish,
 * a final usage chunk as OpenAI sends with `stream_options.include_usage`, `[DONE]`), with time to
 * first byte (TTFB) and to the last byte, and CPU per request against the raw-bytes proxy's.
 *
 * The response cache, side by side on the traced gateway: `cache hit` sends one body again and
 * again to a route with a cache (every request after the first is a hit); `cache miss` sends the
 * same with `x-loopgate-cache: refresh` (every request is fetched upstream and kept again: a miss
 * with all its cache work). Printed: CPU per request and p50/p99 of a hit against a miss.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { load, type LoadResult } from './gateway-load.ts'
import { cpuMicros, rssMb } from './proc.ts'
// @ts-expect-error a plain ESM module of the launcher, without type declarations
import { compiledEntry } from '../bin/server-build.mjs'

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    port: { type: 'string' },
    upstream: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    baseline: { type: 'string' },
  },
})
const KEY = 'bench-virtual-key-0001'

async function serveRole(role: string): Promise<void> {
  const port = Number(values.port)
  if (role === 'sim') {
    const { startSimulator } = await import('../gateway/simulator/index.ts')
    const sim = await startSimulator({
      port,
      models: { '*': { outputTokens: 16 }, 'sim-stream': { outputTokens: 20 } },
    })
    process.send?.({ ready: sim.url })
  } else if (role === 'sink') {
    // The OTLP sink: accepts and discards exported spans, in its own process as a collector would be
    // (sharing the simulator's event loop, each export delayed the upstream's answers).
    const { createServer } = await import('node:http')
    createServer((req, res) =>
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()),
    ).listen(port, '127.0.0.1', () => process.send?.({ ready: true }))
  } else if (role === 'proxy') {
    const Fastify = (await import('fastify')).default
    const { Pool } = await import('undici')
    const pool = new Pool(values.upstream!, { connections: 128, keepAliveTimeout: 30_000 })
    const app = Fastify()
    app.post('/v1/chat/completions', async (req, reply) => {
      const body = req.body as { stream?: boolean }
      if (body.stream) {
        // A stream is relayed as it comes (hijacked reply, undici writing into it), as a proxy must.
        reply.hijack()
        await pool
          .stream(
            {
              path: '/v1/chat/completions',
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            },
            ({ statusCode, headers }) => {
              reply.raw.writeHead(statusCode, { 'content-type': String(headers['content-type']) })
              return reply.raw
            },
          )
          .catch(() => reply.raw.destroy())
        return reply
      }
      const res = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(req.body),
      })
      return reply
        .code(res.statusCode)
        .type('application/json')
        .send(await res.body.text())
    })
    await app.listen({ port, host: '127.0.0.1' })
    process.on('SIGINT', () => process.exit(0))
    process.send?.({ ready: true })
  } else if (role === 'raw') {
    // The floor: request and answer bytes piped through untouched, no parsing at all.
    const { createServer } = await import('node:http')
    const { Pool } = await import('undici')
    const pool = new Pool(values.upstream!, { connections: 128, keepAliveTimeout: 30_000 })
    createServer((req, res) => {
      const parts: Buffer[] = []
      req.on('data', (c: Buffer) => parts.push(c))
      req.on('end', () => {
        const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
        // undici's stream(): the answer's chunks are written to `res` as they arrive, nothing in between.
        pool
          .stream(
            { path: req.url!, method: 'POST', headers: { 'content-type': 'application/json' }, body },
            ({ statusCode, headers }) => {
              res.writeHead(statusCode, { 'content-type': String(headers['content-type']) })
              return res
            },
          )
          .catch(() => res.destroy())
      })
    }).listen(port, '127.0.0.1', () => process.send?.({ ready: true }))
  }
}

/**
 * The gateway as users run it: `bin/loopgate.mjs gateway` with a config file (compiled when
 * `npm run build` is current, else through tsx), auth, 2-target routing, tenant and key budgets + rpm.
 */
async function spawnGateway(
  port: number,
  upstream: string,
  sink: string,
  tracing: boolean,
  nodeFlags: string[] = [],
  cwd = process.cwd(),
): Promise<ChildProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lg-bench-'))
  const config = {
    logLevel: 'warn',
    adminToken: 'bench-admin-token-0123456789',
    gateway: {
      port,
      providers: { sim: { protocol: 'openai', baseUrl: `${upstream}/v1` } },
      routes: [
        {
          name: 'bench',
          targets: [
            { provider: 'sim', model: 'sim-a', weight: 3, price: { input: '0.15', output: '0.6' } },
            { provider: 'sim', model: 'sim-b', weight: 1, price: { input: '0.15', output: '0.6' } },
          ],
        },
        {
          name: 'bench-cached',
          targets: [{ provider: 'sim', model: 'sim-a', price: { input: '0.15', output: '0.6' } }],
          cache: { ttlSeconds: 3600 },
        },
        {
          name: 'bench-stream',
          targets: [{ provider: 'sim', model: 'sim-stream', price: { input: '0.15', output: '0.6' } }],
        },
      ],
      telemetry: { enabled: tracing, collectorUrl: sink, maxQueueSize: 65536 },
    },
    tenants: [
      {
        id: 'bench',
        budgets: { usdPerMonth: '1000000' },
        rateLimits: { rpm: 100_000_000 },
        keys: [{ key: KEY, budgets: { usdPerDay: '100000' } }],
      },
    ],
  }
  writeFileSync(join(dataDir, 'loopgate.json'), JSON.stringify(config))
  const child = spawn(
    process.execPath,
    [...nodeFlags, 'bin/loopgate.mjs', 'gateway', '--config', join(dataDir, 'loopgate.json')],
    { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, LOOPGATE_DATA_DIR: dataDir } },
  )
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }))
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`)
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) return child
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('gateway did not start within 30 s')
}

function spawnRole(role: string, port: number, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['bin/run-ts.mjs', 'bench/gateway.ts', '--role', role, '--port', String(port), ...extra],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  )
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child))
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)))
  })
}

interface Config {
  name: string
  kind: 'json' | 'stream' | 'cache'
  url: string
  body: string
  headers: Record<string, string>
  pid: number | undefined
}

const CONCURRENCIES = [50, 10, 1]

async function main(): Promise<void> {
  if (values.role) return serveRole(values.role)
  const seconds = Number(values.seconds)
  const rounds = Number(values.rounds)
  const base = 20000 + Math.floor(Math.random() * 20000)
  const children: ChildProcess[] = []
  try {
    const sim = await spawnRole('sim', base)
    children.push(sim)
    children.push(await spawnRole('sink', base + 1))
    const upstream = `http://127.0.0.1:${base}`
    const proxy = await spawnRole('proxy', base + 2, ['--upstream', upstream])
    children.push(proxy)
    const raw = await spawnRole('raw', base + 5, ['--upstream', upstream])
    children.push(raw)
    const sink = `http://127.0.0.1:${base + 1}`
    const gw = await spawnGateway(
      base + 3,
      upstream,
      sink,
      true,
      values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
    )
    children.push(gw)
    const untraced = await spawnGateway(base + 4, upstream, sink, false)
    children.push(untraced)
    const baseline = values.baseline
      ? await spawnGateway(base + 6, upstream, sink, true, [], values.baseline)
      : undefined
    if (baseline) children.push(baseline)

    // ~1 KB request body.
    const body = (model: string, stream = false) =>
      JSON.stringify({
        model,
        max_tokens: 64,
        messages: [
          { role: 'system', content: 'You are a concise assistant. '.repeat(12) },
          { role: 'user', content: 'Summarize the following text in one sentence: '.repeat(12) },
        ],
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      })
    const json = { 'content-type': 'application/json' }
    const auth = { ...json, authorization: `Bearer ${KEY}` }
    const servers = (kind: 'json' | 'stream', model: string, route: string): Config[] => {
      const stream = kind === 'stream'
      const list: Config[] = [
        { name: 'direct', kind, url: upstream, body: body(model, stream), headers: json, pid: undefined },
        {
          name: 'raw proxy',
          kind,
          url: `http://127.0.0.1:${base + 5}`,
          body: body(model, stream),
          headers: json,
          pid: raw.pid,
        },
        {
          name: 'thin proxy',
          kind,
          url: `http://127.0.0.1:${base + 2}`,
          body: body(model, stream),
          headers: json,
          pid: proxy.pid,
        },
        {
          name: 'loopgate',
          kind,
          url: `http://127.0.0.1:${base + 3}`,
          body: body(route, stream),
          headers: auth,
          pid: gw.pid,
        },
        {
          name: 'untraced',
          kind,
          url: `http://127.0.0.1:${base + 4}`,
          body: body(route, stream),
          headers: auth,
          pid: untraced.pid,
        },
      ]
      if (baseline)
        list.push({
          name: 'loopgate@base',
          kind,
          url: `http://127.0.0.1:${base + 6}`,
          body: body(route, stream),
          headers: auth,
          pid: baseline.pid,
        })
      return list
    }
    const cacheBody = body('bench-cached')
    const allConfigs: Config[] = [
      ...servers('json', 'sim-a', 'bench'),
      ...servers('stream', 'sim-stream', 'bench-stream'),
      {
        name: 'cache miss',
        kind: 'cache',
        url: `http://127.0.0.1:${base + 3}`,
        body: cacheBody,
        headers: { ...auth, 'x-loopgate-cache': 'refresh' },
        pid: gw.pid,
      },
      {
        name: 'cache hit',
        kind: 'cache',
        url: `http://127.0.0.1:${base + 3}`,
        body: cacheBody,
        headers: auth,
        pid: gw.pid,
      },
    ]
    const only = values.only
    const configs = allConfigs.filter(
      (c) => !only || c.kind === only || (only === 'cache' && c.kind === 'json' && c.name === 'direct'),
    )
    console.log(
      `request body: ${configs[0]!.body.length} bytes; ${seconds}s per configuration in ${rounds} interleaved rounds`,
    )
    console.log(
      `gateway: ${compiledEntry(process.cwd()) ? 'compiled (dist/)' : 'TypeScript through tsx: dist/ is missing or older than a source (npm run build)'}`,
    )
    for (const c of configs) await load(c.url, '/v1/chat/completions', c.body, c.headers, 8, 1) // warm-up (JIT, connections)
    const keyOf = (c: Config, concurrency: number) => `${c.kind}:${c.name}@${concurrency}`
    const results = new Map<string, { runs: LoadResult[]; cpu: number }>()
    for (const concurrency of CONCURRENCIES) {
      for (let round = 0; round < rounds; round++) {
        // Alternate the order every round, so neither end of the list always runs on a warmer or quieter machine.
        const order = round % 2 ? [...configs].reverse() : configs
        for (const c of order) {
          const key = keyOf(c, concurrency)
          const cpu0 = c.pid ? cpuMicros(c.pid) : 0
          const r = await load(c.url, '/v1/chat/completions', c.body, c.headers, concurrency, seconds / rounds)
          const entry = results.get(key) ?? { runs: [], cpu: 0 }
          entry.runs.push(r)
          entry.cpu += c.pid ? cpuMicros(c.pid) - cpu0 : 0
          results.set(key, entry)
        }
      }
    }
    const summary = (key: string) => {
      const e = results.get(key)
      if (!e) return undefined
      const requests = e.runs.reduce((a, r) => a + r.requests, 0)
      const secs = e.runs.reduce((a, r) => a + r.seconds, 0)
      const median = (f: (r: LoadResult) => number) =>
        e.runs.map(f).sort((a, b) => a - b)[Math.floor(e.runs.length / 2)]!
      const rpsRuns = e.runs.map((r) => r.rps)
      return {
        rps: requests / secs,
        rpsMin: Math.min(...rpsRuns),
        rpsMax: Math.max(...rpsRuns),
        p50: median((r) => r.p50),
        p99: median((r) => r.p99),
        ttfb50: median((r) => r.ttfbP50),
        ttfb99: median((r) => r.ttfbP99),
        errors: e.runs.reduce((a, r) => a + r.errors, 0),
        cpuPerReq: e.cpu / requests,
      }
    }
    for (const kind of ['json', 'stream'] as const) {
      const group = configs.filter((c) => c.kind === kind)
      if (!group.length) continue
      for (const concurrency of CONCURRENCIES) {
        console.log(`\n${kind === 'stream' ? 'streaming (24 SSE events)' : 'non-stream'}, c=${concurrency}`)
        const floor = summary(`${kind}:raw proxy@${concurrency}`)
        const direct = summary(`${kind}:direct@${concurrency}`)
        for (const c of group) {
          const s = summary(keyOf(c, concurrency))!
          // CPU per request relative to the raw-bytes proxy measured in the same run: steadier than req/s on a shared machine.
          const cpu = c.pid
            ? `  cpu ${s.cpuPerReq.toFixed(0)} µs/req${floor ? ` (${(s.cpuPerReq / floor.cpuPerReq).toFixed(2)}× raw)` : ''}`
            : ''
          const ratio = floor ? `  ${(s.rps / floor.rps).toFixed(2)} of raw` : ''
          const spread = ` [${s.rpsMin.toFixed(0)}–${s.rpsMax.toFixed(0)}]`
          const ttfb = kind === 'stream' ? `  ttfb p50 ${s.ttfb50.toFixed(3)} p99 ${s.ttfb99.toFixed(3)}` : ''
          const added =
            concurrency === 1 && c.name !== 'direct' && direct
              ? `  added: ${kind === 'stream' ? `ttfb p50 ${(s.ttfb50 - direct.ttfb50).toFixed(3)} ms, ` : ''}last byte p50 ${(s.p50 - direct.p50).toFixed(3)} ms, p99 ${(s.p99 - direct.p99).toFixed(3)} ms`
              : ''
          console.log(
            `  ${c.name.padEnd(13)} ${s.rps.toFixed(0).padStart(6)} req/s${spread}${ratio}  p50 ${s.p50.toFixed(3)} p99 ${s.p99.toFixed(3)} ms${ttfb}  errors ${s.errors}${cpu}${added}`,
          )
        }
        const thin = summary(`${kind}:thin proxy@${concurrency}`)
        const untraced = summary(`${kind}:untraced@${concurrency}`)
        const full = summary(`${kind}:loopgate@${concurrency}`)
        if (floor && thin && untraced && full) {
          // Where the CPU per request goes beyond the floor, measured in this run: the framework's share
          // (Fastify parsing and re-serializing, over the raw-bytes proxy), ours without spans, the spans.
          const goal = kind === 'stream' ? 1.3 : 1.2
          const us = (x: number) => `${x.toFixed(0)} µs`
          console.log(
            `  cost over raw (CPU/request): Fastify floor ${us(thin.cpuPerReq - floor.cpuPerReq)} (thin proxy ${(thin.cpuPerReq / floor.cpuPerReq).toFixed(2)}× raw), ` +
              `gateway work without spans ${us(untraced.cpuPerReq - thin.cpuPerReq)}, spans ${us(full.cpuPerReq - untraced.cpuPerReq)}; ` +
              `the ${goal}× goal allows ${us((goal - 1) * floor.cpuPerReq)} over raw, Fastify alone leaves ${us((goal - 1) * floor.cpuPerReq - (thin.cpuPerReq - floor.cpuPerReq))} for the gateway`,
          )
        }
      }
    }
    if (configs.some((c) => c.kind === 'cache')) {
      for (const concurrency of CONCURRENCIES) {
        const hit = summary(`cache:cache hit@${concurrency}`)!
        const miss = summary(`cache:cache miss@${concurrency}`)!
        console.log(
          `cache at c=${concurrency}: hit ${hit.cpuPerReq.toFixed(0)} µs CPU/req vs miss ${miss.cpuPerReq.toFixed(0)} (${(hit.cpuPerReq / miss.cpuPerReq).toFixed(2)}×); p50 ${hit.p50.toFixed(3)} vs ${miss.p50.toFixed(3)} ms, p99 ${hit.p99.toFixed(3)} vs ${miss.p99.toFixed(3)} ms; ${hit.rps.toFixed(0)} vs ${miss.rps.toFixed(0)} req/s`,
        )
      }
      const cacheLines = (await (await fetch(`http://127.0.0.1:${base + 3}/metrics`)).text())
        .split('\n')
        .filter((l) => /^loopgate_response_cache_requests_total\{outcome="(hit|refresh)"/.test(l))
      console.log(`cache counters: ${cacheLines.join(', ')}`)
    }
    console.log(
      `\nRSS after load: gateway ${rssMb(gw.pid!).toFixed(0)} MB, raw proxy ${rssMb(raw.pid!).toFixed(0)} MB, thin proxy ${rssMb(proxy.pid!).toFixed(0)} MB${baseline ? `, loopgate@base ${rssMb(baseline.pid!).toFixed(0)} MB` : ''}`,
    )
    // The sink acknowledges every batch: the healthy path must neither spool (disk) nor lose spans.
    const delivery = (await (await fetch(`http://127.0.0.1:${base + 3}/metrics`)).text())
      .split('\n')
      .filter((l) => /^loopgate_gateway_spans_(spooled|lost)_total/.test(l))
    console.log(`span delivery: ${delivery.length > 0 ? delivery.join(', ') : 'nothing spooled or lost'}`)
    console.log('goals (cache): a hit uses less CPU and answers faster than a miss')
    console.log(
      "goals (issue 20), against the raw-bytes proxy in this run: streaming CPU/request ≤ 1.3× and req/s ≥ 0.85; non-stream CPU/request ≤ 1.2× at c=50 and c=10; c=1 streaming TTFB added ≤ the raw proxy's + 0.2 ms; RSS ≤ 150 MB",
    )
  } finally {
    for (const c of children) c.kill('SIGTERM')
  }
}

await main()
