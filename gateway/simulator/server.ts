import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expectedAnswerOf } from './answer.ts'
import { anthropicCountTokens, anthropicError, anthropicMessages } from './anthropic.ts'
import { openAiChat, openAiEmbeddings, openAiError, openAiModels } from './openai.ts'
import { openAiResponses } from './responses.ts'
import { defaultProfile, OutcomePlanner, type ModelProfile, type ScriptedOutcome } from './profiles.ts'
import { readBody, sleep } from './wire.ts'

export interface SimulatorOptions {
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Per-model behaviour; `*` is the default for models not listed. */
  models?: Record<string, Partial<ModelProfile>>
  /** When set, requests must carry one of these keys (Bearer or x-api-key). */
  apiKeys?: string[]
  random?: () => number
}

export interface RecordedRequest {
  protocol: 'openai' | 'anthropic'
  path: string
  model: string
  stream: boolean
  status?: number
  /** The client went away before the answer ended. */
  aborted: boolean
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
}

export interface Simulator {
  url: string
  /** For an OpenAI-protocol provider: `${url}/v1`. */
  openaiBaseUrl: string
  /** For an Anthropic-protocol provider (the SDK convention, without /v1). */
  anthropicBaseUrl: string
  setProfile(model: string, profile: Partial<ModelProfile>): void
  /** Queue exact outcomes for a model (`*` for any), used before the random draws. */
  script(model: string, ...outcomes: ScriptedOutcome[]): void
  /** Requests currently being answered (hung or streaming ones included). */
  inFlight(): number
  requests: RecordedRequest[]
  reset(): void
  close(): Promise<void>
}

const MAX_RECORDED = 2000

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const profiles = new Map<string, Partial<ModelProfile>>(Object.entries(options.models ?? {}))
  const planner = new OutcomePlanner(options.random)
  const requests: RecordedRequest[] = []
  const keys = options.apiKeys ? new Set(options.apiKeys) : undefined
  let inFlight = 0
  const profileOf = (model: string): ModelProfile => ({
    ...defaultProfile,
    ...profiles.get('*'),
    ...profiles.get(model),
  })

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!
    const anthropic = path.endsWith('/messages') || path.endsWith('/messages/count_tokens')
    const fail = anthropic ? anthropicError : openAiError
    if (req.method === 'GET' && path.endsWith('/models'))
      return openAiModels(
        res,
        [...profiles.keys()].filter((m) => m !== '*'),
      )
    if (req.method !== 'POST') return fail(res, 404, `no route for ${req.method} ${path}`)
    if (keys) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      const key = bearer ?? (req.headers['x-api-key'] as string | undefined)
      if (!key || !keys.has(key)) return fail(res, 401, 'invalid api key')
    }
    const raw = await readBody(req, 32 * 1024 * 1024)
    if (!raw) return fail(res, 413, 'request too large')
    let body: Record<string, unknown>
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
    } catch {
      return fail(res, 400, 'body is not valid JSON')
    }
    if (typeof body !== 'object' || body === null || typeof body.model !== 'string')
      return fail(res, 400, "'model' is required")
    const model = body.model
    const record: RecordedRequest = {
      protocol: anthropic ? 'anthropic' : 'openai',
      path,
      model,
      stream: body.stream === true,
      aborted: false,
      headers: req.headers,
      body,
    }
    if (requests.length >= MAX_RECORDED) requests.shift()
    requests.push(record)
    res.on('close', () => {
      record.status = res.statusCode
      if (!res.writableFinished) record.aborted = true
    })
    if (path.endsWith('/messages/count_tokens')) return anthropicCountTokens(res, body)
    const p = profileOf(model)
    const outcome = planner.next(model, p)
    if (outcome.kind === 'hang') {
      await new Promise<void>((resolve) => res.once('close', resolve))
      return
    }
    if (outcome.kind === 'reset') {
      req.socket.destroy()
      return
    }
    if (outcome.kind === 'rate_limit') {
      return fail(res, 429, 'simulated rate limit', { 'retry-after': String(outcome.retryAfterSeconds) })
    }
    if (outcome.kind === 'error') {
      const auth = req.headers.authorization ?? req.headers['x-api-key']
      return fail(
        res,
        outcome.status,
        outcome.echoAuth ? `${outcome.message} (request credential: ${String(auth)})` : outcome.message,
      )
    }
    if (outcome.delayMs > 0) await sleep(outcome.delayMs)
    if (res.destroyed) return
    const expected = expectedAnswerOf(body, req.headers['x-loopgate-task'] as string | undefined)
    if (anthropic) return anthropicMessages(res, body, p, expected, outcome.ending)
    if (path.endsWith('/chat/completions')) return openAiChat(res, body, p, expected, outcome.ending)
    if (path.endsWith('/embeddings')) return openAiEmbeddings(res, body, p)
    if (path.endsWith('/responses')) return openAiResponses(res, body, p, expected, outcome.ending)
    return fail(res, 404, `no route for POST ${path}`)
  }

  const server = createServer((req, res) => {
    inFlight++
    res.once('close', () => inFlight--)
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) openAiError(res, 500, `simulator failure: ${err.message}`)
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
  })
  const { port, address } = server.address() as AddressInfo
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    setProfile: (model, profile) => void profiles.set(model, { ...profiles.get(model), ...profile }),
    script: (model, ...outcomes) => planner.enqueue(model, outcomes),
    inFlight: () => inFlight,
    requests,
    reset() {
      requests.length = 0
      planner.clear()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
