import type { ProviderSettings } from '../config.ts'
import type { SseFrame } from '../sse.ts'

/** A wire protocol: OpenAI chat completions (and embeddings), Anthropic messages, OpenAI Responses. */
export type Protocol = 'openai' | 'anthropic' | 'responses'
export type Operation = 'chat' | 'embeddings'

/** Token counts, normalized: `input` counts ALL input tokens, cached ones included. */
export interface Usage {
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
}

export const noUsage = (): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 })

/** What the gateway learns from an answer, whatever its protocol. */
export interface ResponseFacts {
  model: string | undefined
  usage: Usage
  finishReasons: string[]
  /** Assistant text and tool calls, collected only when capture is on. */
  outputText: string
  toolCalls: { name: string; arguments: string }[]
  /** Content deltas seen in a stream: the output estimate when a stream ends before its usage. */
  deltas: number
}

export const emptyFacts = (): ResponseFacts => ({
  model: undefined,
  usage: noUsage(),
  finishReasons: [],
  outputText: '',
  toolCalls: [],
  deltas: 0,
})

/**
 * Carries an upstream SSE stream to the client frame by frame (same protocol or translated),
 * collecting facts on the way. Each call returns the text to write now ('' for nothing).
 */
export interface StreamRelay {
  readonly facts: ResponseFacts
  /** Set when the first content (text or tool call) frame passes. */
  firstTokenAt: number | undefined
  frame(frame: SseFrame): string
  /** Upstream ended: what remains to be written. */
  finish(): string
  /** The stream failed after its 200: the in-band failure event(s) of the client's protocol (absent: the generic error frame). */
  fail?(message: string): string
  /** A Responses client's stream: the final response object once it completed (kept for previous_response_id). */
  finalResponse?(): Record<string, unknown> | undefined
}

export interface RelayOptions {
  /** OpenAI clients: whether they asked for `stream_options.include_usage`. */
  clientWantsUsage: boolean
  capture: boolean
}

/** The same small set of transforms for every wire protocol (one folder each). */
export interface ProviderAdapter {
  readonly protocol: Protocol
  /** Upstream path for an operation, relative to the provider's baseUrl. */
  path(provider: ProviderSettings, op: Operation): string
  /** Authentication and protocol headers. The key never leaves this object. */
  headers(provider: ProviderSettings, apiKey: string | undefined): Record<string, string>
  /** A body already in this protocol, pointed at the target's model (and asking for usage when streaming). */
  prepare(body: Record<string, unknown>, model: string, stream: boolean): Record<string, unknown>
  /** Facts from a complete (non-streamed) JSON answer in this protocol. */
  readResponse(json: unknown, capture: boolean): ResponseFacts
  /** Same-protocol stream pass-through. */
  relay(options: RelayOptions): StreamRelay
}
