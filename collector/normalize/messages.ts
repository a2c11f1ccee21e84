// Indexed message attributes (OpenInference `llm.input_messages.0.message.role`, OpenLLMetry
// `gen_ai.prompt.0.content`) assembled into one JSON list [{role, content, …}] for input/output text.

/** Prefixes of the `{i}` sources in precedence.ts: 'llm.input_messages.{i}.message' → 'llm.input_messages.' + '.message.' */
export interface MessagePattern {
  prefix: string
  /** What follows the index before the field name ('.message.' or '.'). */
  infix: string
}

export function parsePattern(source: string): MessagePattern {
  const at = source.indexOf('{i}')
  return { prefix: source.slice(0, at), infix: `${source.slice(at + 3)}.` }
}

/** JSON text of the messages, or '' when none of the pairs match the pattern. */
export function assembleMessages(pattern: MessagePattern, pairs: readonly (readonly [string, string])[]): string {
  const byIndex = new Map<number, Record<string, string>>()
  for (const [key, value] of pairs) {
    if (!key.startsWith(pattern.prefix)) continue
    const dot = key.indexOf('.', pattern.prefix.length)
    if (dot < 0) continue
    const index = Number(key.slice(pattern.prefix.length, dot))
    if (!Number.isInteger(index) || index < 0) continue
    const rest = key.slice(dot)
    if (!rest.startsWith(pattern.infix)) continue
    const field = rest.slice(pattern.infix.length)
    let msg = byIndex.get(index)
    if (!msg) byIndex.set(index, (msg = {}))
    msg[field] = value
  }
  if (byIndex.size === 0) return ''
  return JSON.stringify([...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m))
}
