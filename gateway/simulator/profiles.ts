/** How one simulated model behaves. Every field has a default; tests and the demo override a few. */
export interface ModelProfile {
  /** Time to first token, mean (ms). */
  ttftMs: number
  /** Uniform jitter around `ttftMs`, as a fraction (0.2 → ±20%). */
  ttftJitter: number
  /** Streaming speed; 0 sends every token at once. Non-streamed answers wait for the whole generation. */
  tokensPerSecond: number
  /** Answer length in tokens when the request sets no lower max_tokens. */
  outputTokens: number
  /** Probability of an error answer with `errorStatus`. */
  errorRate: number
  errorStatus: number
  /** Probability that a request starts a 429 burst of `burstLength` requests, each with Retry-After. */
  rateLimitRate: number
  burstLength: number
  retryAfterSeconds: number
  /** Probability that a request is accepted and never answered (until the client gives up). */
  hangRate: number
  /** Probability that a request's connection is closed at once, without an answer. */
  resetRate: number
  /** Probability that a stream is cut mid-way: half the answer, then the connection closes. */
  cutRate: number
  /** For tasks with a known answer: probability that the answer is correct. */
  quality: number
  /** Embedding dimensions when the request does not ask for a number. */
  embeddingDimensions: number
}

export const defaultProfile: ModelProfile = {
  ttftMs: 0,
  ttftJitter: 0,
  tokensPerSecond: 0,
  outputTokens: 16,
  errorRate: 0,
  errorStatus: 500,
  rateLimitRate: 0,
  burstLength: 1,
  retryAfterSeconds: 1,
  hangRate: 0,
  resetRate: 0,
  cutRate: 0,
  quality: 1,
  embeddingDimensions: 8,
}

/** One scripted answer, consumed in order before the profile's random draws apply. */
export type ScriptedOutcome =
  | { kind: 'ok' }
  /** `echoAuth` appends the credential the request carried, as a careless upstream or proxy might. */
  | { kind: 'error'; status: number; message?: string; echoAuth?: boolean }
  | { kind: 'rate_limit'; retryAfterSeconds?: number }
  | { kind: 'hang' }
  /** Streams half of the answer, then stops sending without closing (a stalled stream). */
  | { kind: 'stall' }
  /** Streams half of the answer, then closes the connection (a stream cut mid-way). */
  | { kind: 'cut' }
  /** Closes the connection without answering. */
  | { kind: 'reset' }
  | { kind: 'delay'; ms: number }

/** How a streamed answer ends (a whole answer always completes). */
export type StreamEnding = 'complete' | 'stall' | 'cut'

export type Outcome =
  | { kind: 'ok'; delayMs: number; ending: StreamEnding }
  | { kind: 'reset' }
  | { kind: 'error'; status: number; message: string; echoAuth?: boolean }
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  | { kind: 'hang' }

/** Decides what each request gets: the script first, then the profile's probabilities. */
export class OutcomePlanner {
  private readonly scripts = new Map<string, ScriptedOutcome[]>()
  private readonly bursts = new Map<string, number>()

  constructor(private readonly random: () => number = Math.random) {}

  enqueue(model: string, outcomes: ScriptedOutcome[]): void {
    const list = this.scripts.get(model) ?? []
    list.push(...outcomes)
    this.scripts.set(model, list)
  }

  clear(): void {
    this.scripts.clear()
    this.bursts.clear()
  }

  next(model: string, p: ModelProfile): Outcome {
    const delayMs = Math.max(0, p.ttftMs * (1 + p.ttftJitter * (this.random() * 2 - 1)))
    const scripted = this.scripts.get(model)?.shift() ?? this.scripts.get('*')?.shift()
    if (scripted) {
      switch (scripted.kind) {
        case 'ok':
          return { kind: 'ok', delayMs, ending: 'complete' }
        case 'delay':
          return { kind: 'ok', delayMs: scripted.ms, ending: 'complete' }
        case 'stall':
          return { kind: 'ok', delayMs, ending: 'stall' }
        case 'cut':
          return { kind: 'ok', delayMs, ending: 'cut' }
        case 'reset':
          return { kind: 'reset' }
        case 'hang':
          return { kind: 'hang' }
        case 'rate_limit':
          return { kind: 'rate_limit', retryAfterSeconds: scripted.retryAfterSeconds ?? p.retryAfterSeconds }
        case 'error':
          return {
            kind: 'error',
            status: scripted.status,
            message: scripted.message ?? `simulated ${scripted.status}`,
            echoAuth: scripted.echoAuth,
          }
      }
    }
    const burstLeft = this.bursts.get(model) ?? 0
    if (burstLeft > 0) {
      this.bursts.set(model, burstLeft - 1)
      return { kind: 'rate_limit', retryAfterSeconds: p.retryAfterSeconds }
    }
    if (p.rateLimitRate > 0 && this.random() < p.rateLimitRate) {
      this.bursts.set(model, Math.max(0, p.burstLength - 1))
      return { kind: 'rate_limit', retryAfterSeconds: p.retryAfterSeconds }
    }
    if (p.hangRate > 0 && this.random() < p.hangRate) return { kind: 'hang' }
    if (p.resetRate > 0 && this.random() < p.resetRate) return { kind: 'reset' }
    if (p.errorRate > 0 && this.random() < p.errorRate)
      return { kind: 'error', status: p.errorStatus, message: `simulated ${p.errorStatus}` }
    if (p.cutRate > 0 && this.random() < p.cutRate) return { kind: 'ok', delayMs, ending: 'cut' }
    return { kind: 'ok', delayMs, ending: 'complete' }
  }
}
