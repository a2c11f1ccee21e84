import type { ResponseFacts } from '../providers/types.ts'

export type CaptureMode = 'off' | 'on' | 'redacted'

type Part = Record<string, unknown>
const REDACTED = '[redacted]'

function partsOf(content: unknown, mode: CaptureMode): Part[] {
  const text = (s: unknown) => (mode === 'redacted' ? REDACTED : String(s ?? ''))
  if (typeof content === 'string') return [{ type: 'text', content: text(content) }]
  if (!Array.isArray(content)) return []
  return content.map((p: Record<string, unknown>) => {
    if (p.type === 'text') return { type: 'text', content: text(p.text) }
    if (p.type === 'tool_result')
      return { type: 'tool_call_response', id: p.tool_use_id, response: mode === 'redacted' ? REDACTED : p.content }
    if (p.type === 'tool_use')
      return { type: 'tool_call', id: p.id, name: p.name, arguments: mode === 'redacted' ? REDACTED : p.input }
    return { type: String(p.type ?? 'unknown') }
  })
}

/** `gen_ai.input.messages` (GenAI semconv JSON): system prompt and messages of either protocol. */
export function inputMessages(body: Record<string, unknown>, mode: CaptureMode): string {
  const out: { role: string; parts: Part[] }[] = []
  if (body.system !== undefined) out.push({ role: 'system', parts: partsOf(body.system, mode) })
  if (typeof body.instructions === 'string') out.push({ role: 'system', parts: partsOf(body.instructions, mode) }) // Responses API
  for (const m of (body.messages ?? []) as Record<string, unknown>[]) {
    const parts = partsOf(m.content, mode)
    for (const t of (m.tool_calls ?? []) as { id?: string; function?: { name?: string; arguments?: string } }[]) {
      parts.push({
        type: 'tool_call',
        id: t.id,
        name: t.function?.name,
        arguments: mode === 'redacted' ? REDACTED : t.function?.arguments,
      })
    }
    if (m.role === 'tool')
      out.push({
        role: 'tool',
        parts: [
          { type: 'tool_call_response', id: m.tool_call_id, response: mode === 'redacted' ? REDACTED : m.content },
        ],
      })
    else out.push({ role: String(m.role), parts })
  }
  if (body.input !== undefined)
    out.push({
      role: 'user',
      parts: [{ type: 'text', content: mode === 'redacted' ? REDACTED : JSON.stringify(body.input) }],
    })
  return JSON.stringify(out)
}

/** `gen_ai.output.messages`. */
export function outputMessages(facts: ResponseFacts, mode: CaptureMode): string {
  const parts: Part[] = []
  if (facts.outputText) parts.push({ type: 'text', content: mode === 'redacted' ? REDACTED : facts.outputText })
  for (const t of facts.toolCalls)
    parts.push({ type: 'tool_call', name: t.name, arguments: mode === 'redacted' ? REDACTED : t.arguments })
  return JSON.stringify([{ role: 'assistant', parts, finish_reason: facts.finishReasons[0] ?? null }])
}
