import { parseMessages } from './messages.ts'

/** LLM input or output: rendered messages (roles, text, tool calls) or the raw text. */
export function Messages({ title, text }: { title: string; text: string }) {
  if (!text) return null
  const messages = parseMessages(text)
  return (
    <div className="messages" aria-label={title}>
      <h3>{title}</h3>
      {messages ? (
        messages.map((m, i) => (
          <div key={i} className={`message role-${m.role}`}>
            <div className="role">{m.role}</div>
            {m.parts.map((p, j) =>
              p.kind === 'tool_call' ? (
                <div key={j} className="tool-call">
                  <span className="tag">tool call</span> <strong>{p.name}</strong>
                  <pre>{p.text}</pre>
                </div>
              ) : p.kind === 'tool_result' ? (
                <div key={j} className="tool-result">
                  <span className="tag">tool result</span>
                  <pre>{p.text}</pre>
                </div>
              ) : (
                <pre key={j} className="message-text">
                  {p.text}
                </pre>
              ),
            )}
          </div>
        ))
      ) : (
        <pre className="message-text">{text}</pre>
      )}
    </div>
  )
}
