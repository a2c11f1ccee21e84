// Token counts by model, the one tokenizer rule of the gateway (count_tokens and a translated
// stream's message_start) and the collector (usage of LLM spans whose producer reported none:
// OpenInference and OpenLLMetry drop usage on streamed calls). Node only (kept out of the UI's
// type check). The tokenizers load on first use only: they cost 15–45 MB each.
import { createRequire } from 'node:module'

export interface ChatMessage {
  role: string
  content: string
  name?: string
}

export interface Tokenizer {
  text(s: string): number
  chat(messages: ChatMessage[]): number
}

type Family = 'o200k' | 'cl100k' | 'claude'

const require = createRequire(import.meta.url)
const loaded = new Map<Family, Tokenizer>()

// OpenAI's chat framing (the OpenAI cookbook's num_tokens_from_messages, which matches the API's
// prompt_tokens): 3 tokens per message, 1 more for a name, 3 priming the reply.
const PER_MESSAGE = 3
const PER_NAME = 1
const REPLY_PRIMING = 3

function framed(count: (s: string) => number): Tokenizer {
  return {
    text: count,
    chat: (messages) =>
      messages.reduce(
        (n, m) => n + PER_MESSAGE + count(m.role) + count(m.content) + (m.name ? PER_NAME + count(m.name) : 0),
        REPLY_PRIMING,
      ),
  }
}

/**
 * Claude's tokenizer was published with its prompt format: the system text, then
 * "\n\nHuman: …" / "\n\nAssistant: …" turns, then "\n\nAssistant:" for the reply. Counting that
 * text frames a chat as the model sees it.
 */
function claudeFramed(count: (s: string) => number): Tokenizer {
  return {
    text: count,
    chat: (messages) => {
      const system = messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n')
      const turns = messages
        .filter((m) => m.role !== 'system')
        .map((m) => `\n\n${m.role === 'assistant' ? 'Assistant' : 'Human'}: ${m.content}`)
      return count(`${system}${turns.join('')}\n\nAssistant:`)
    },
  }
}

function load(family: Family): Tokenizer {
  let t = loaded.get(family)
  if (t) return t
  if (family === 'claude') {
    // Anthropic's published tokenizer (exact for Claude 2, an approximation for later models).
    const { countTokens } = require('@anthropic-ai/tokenizer') as { countTokens(s: string): number }
    t = claudeFramed(countTokens)
  } else {
    const module = family === 'cl100k' ? 'gpt-tokenizer/encoding/cl100k_base' : 'gpt-tokenizer'
    const { countTokens } = require(module) as { countTokens(s: string): number }
    t = framed((s) => (s === '' ? 0 : countTokens(s)))
  }
  loaded.set(family, t)
  return t
}

/** The tokenizer of a model's family, with its chat framing. */
export const tokenizerFor = (model: string): Tokenizer => load(tokenizerFamily(model))

/**
 * The tokenizer family for a model: o200k for current OpenAI models (gpt-4o, gpt-4.1, gpt-5,
 * o-series), cl100k for gpt-4 / gpt-3.5 and the older embeddings, Anthropic's tokenizer for
 * Claude; o200k for every other model as a documented fallback (open models' BPE vocabularies
 * of 100k–250k entries land within about 10–20% of it on English text).
 */
export function tokenizerFamily(model: string): Family {
  const m = model.toLowerCase()
  if (m.includes('claude')) return 'claude'
  if (/(^|\/)(gpt-4(?!o|\.\d)|gpt-3\.5|text-embedding-(ada|3))/.test(m)) return 'cl100k'
  return 'o200k'
}

/** At most this much captured text is tokenized per span (≈ 1 ms per 10 KB); beyond it, bytes / 4. */
const MAX_TOKENIZED_CHARS = 256 * 1024

/** Messages in the shapes producers capture: a JSON list of {role, content}, content parts, or {messages}. */
function messagesOf(text: string): ChatMessage[] | null {
  const first = text.trimStart().charCodeAt(0)
  if (first !== 91 /* [ */ && first !== 123 /* { */) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  const list = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && Array.isArray(parsed.messages)
      ? parsed.messages
      : isObject(parsed) && 'role' in parsed
        ? [parsed]
        : null
  if (!list) return null
  const out: ChatMessage[] = []
  for (const m of list) {
    if (!isObject(m)) return null
    const role = typeof m.role === 'string' ? m.role : ''
    const content = contentText(m.content ?? m.text ?? '')
    const extra = m.tool_calls ?? m.toolCalls ?? m.function_call
    out.push({
      role,
      content: extra ? `${content}${JSON.stringify(extra)}` : content,
      ...(typeof m.name === 'string' ? { name: m.name } : {}),
    })
  }
  return out
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : typeof p === 'string' ? p : JSON.stringify(p)))
      .join('')
  }
  return content === null || content === undefined ? '' : JSON.stringify(content)
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export interface EstimatedUsage {
  input: number
  output: number
}

/**
 * Input tokens as the provider frames a chat (messages) or a plain prompt, and output tokens of
 * the answer's text (an output message list counts its contents only: the framing is the input's).
 */
export function estimateUsage(model: string, inputText: string, outputText: string): EstimatedUsage {
  const tokenizer = load(tokenizerFamily(model))
  return { input: countInput(tokenizer, inputText), output: countOutput(tokenizer, outputText) }
}

function countInput(t: Tokenizer, text: string): number {
  if (text === '') return 0
  if (text.length > MAX_TOKENIZED_CHARS) return Math.ceil(Buffer.byteLength(text) / 4)
  const messages = messagesOf(text)
  return messages ? t.chat(messages) : t.chat([{ role: 'user', content: text }])
}

function countOutput(t: Tokenizer, text: string): number {
  if (text === '') return 0
  if (text.length > MAX_TOKENIZED_CHARS) return Math.ceil(Buffer.byteLength(text) / 4)
  const messages = messagesOf(text)
  return messages ? messages.reduce((n, m) => n + t.text(m.content), 0) : t.text(text)
}
