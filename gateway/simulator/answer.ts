import { createHash } from 'node:crypto'

/**
 * What a simulated model says, independent of the wire format. Tokens are words, so counts are
 * predictable: output tokens = number of pieces streamed.
 */
export type Answer =
  | { kind: 'text'; pieces: string[]; finish: 'stop' | 'length' }
  | { kind: 'tool'; id: string; name: string; arguments: string; pieces: string[] }

export interface AnswerRequest {
  model: string
  /** All prompt text, for counting input tokens. */
  promptText: string
  maxTokens: number | undefined
  /** Tools the caller offered (name + JSON schema), and whether one must / must not be called. */
  tools: { name: string; schema: unknown }[]
  toolChoice: 'auto' | 'none' | 'required' | { name: string }
  /** True when the last message carries a tool result: the model answers in text. */
  afterToolResult: boolean
  jsonMode: boolean
  expectedAnswer: string | undefined
  quality: number
  outputTokens: number
}

const WORDS =
  'the quick simulated model answers every question with calm and measured words while tokens flow steadily'.split(' ')

/** ~4 characters per token, like the tokenizers of the real models, never zero. */
export const countTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4))

export function planAnswer(r: AnswerRequest, random: () => number = Math.random): Answer {
  const wantsTool = r.tools.length > 0 && r.toolChoice !== 'none' && !r.afterToolResult
  if (wantsTool) {
    const choice = r.toolChoice
    const tool = typeof choice === 'object' ? (r.tools.find((t) => t.name === choice.name) ?? r.tools[0]!) : r.tools[0]!
    const args = JSON.stringify(exampleFor(tool.schema))
    return {
      kind: 'tool',
      id: `call_${hex(r.promptText + tool.name).slice(0, 24)}`,
      name: tool.name,
      arguments: args,
      pieces: chunkString(args, 8),
    }
  }
  let text: string
  if (r.expectedAnswer !== undefined) {
    const answer = random() < r.quality ? r.expectedAnswer : wrongAnswer(r.expectedAnswer)
    text = r.jsonMode ? JSON.stringify({ answer }) : `The answer is ${answer}.`
  } else {
    const words = Array.from({ length: r.outputTokens }, (_, i) => WORDS[i % WORDS.length]!)
    text = r.jsonMode ? JSON.stringify({ answer: words.join(' ') }) : words.join(' ')
  }
  const pieces = text.split(/(?<= )/)
  const limit = r.maxTokens ?? Infinity
  if (pieces.length > limit) return { kind: 'text', pieces: pieces.slice(0, Math.max(1, limit)), finish: 'length' }
  return { kind: 'text', pieces, finish: 'stop' }
}

function wrongAnswer(expected: string): string {
  const n = Number(expected)
  if (expected.trim() !== '' && Number.isFinite(n)) return String(n + 1)
  return `not ${expected}`
}

/** A value matching a JSON schema well enough for a tool call's arguments. */
export function exampleFor(schema: unknown): unknown {
  const s = (schema ?? {}) as Record<string, unknown>
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0]
  switch (s.type) {
    case 'string':
      return 'example'
    case 'number':
    case 'integer':
      return 1
    case 'boolean':
      return true
    case 'array':
      return [exampleFor(s.items)]
    case 'object':
    default: {
      const props = (s.properties ?? {}) as Record<string, unknown>
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, exampleFor(v)]))
    }
  }
}

function chunkString(s: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size))
  return out.length ? out : ['']
}

export const hex = (s: string) => createHash('sha256').update(s).digest('hex')

/** A deterministic unit vector per input text, so equal inputs embed equally. */
export function embed(text: string, dimensions: number): number[] {
  const out: number[] = []
  let seed = hex(text)
  while (out.length < dimensions) {
    for (let i = 0; i + 4 <= seed.length && out.length < dimensions; i += 4)
      out.push(parseInt(seed.slice(i, i + 4), 16) / 65535 - 0.5)
    seed = hex(seed)
  }
  const norm = Math.sqrt(out.reduce((a, v) => a + v * v, 0)) || 1
  return out.map((v) => v / norm)
}

export function toBase64Floats(vector: number[]): string {
  const buf = Buffer.alloc(vector.length * 4)
  vector.forEach((v, i) => buf.writeFloatLE(v, i * 4))
  return buf.toString('base64')
}

/** The known answer of a task, from the body's metadata or the `x-loopgate-task` header (JSON). */
export function expectedAnswerOf(body: Record<string, unknown>, taskHeader: string | undefined): string | undefined {
  const meta = body.metadata as Record<string, unknown> | undefined
  if (meta && typeof meta.expected_answer === 'string') return meta.expected_answer
  if (!taskHeader) return undefined
  try {
    const task = JSON.parse(taskHeader) as Record<string, unknown>
    return typeof task.expected_answer === 'string' ? task.expected_answer : undefined
  } catch {
    return undefined
  }
}
