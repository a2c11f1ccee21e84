// Value mappings for the `span_type` and `operation` sources of precedence.ts. Each returns ''
// when it does not recognise the value, so the next source in the precedence list is tried.
import { ATTR_GEN_AI_OPERATION_NAME } from '../../lib/attributes.ts'

const OPENINFERENCE_TYPE: Record<string, string> = {
  llm: 'llm',
  embedding: 'llm',
  chain: 'chain',
  tool: 'tool',
  retriever: 'retrieval',
  reranker: 'reranker',
  agent: 'agent',
  guardrail: 'guardrail',
  evaluator: 'evaluator',
  prompt: 'prompt',
}
const LANGFUSE_TYPE: Record<string, string> = {
  generation: 'llm',
  embedding: 'llm',
  span: 'span',
  event: 'event',
  agent: 'agent',
  tool: 'tool',
  chain: 'chain',
  retriever: 'retrieval',
  evaluator: 'evaluator',
  guardrail: 'guardrail',
}
const TRACELOOP_TYPE: Record<string, string> = { workflow: 'chain', task: 'chain', agent: 'agent', tool: 'tool' }
const GENAI_OPERATION_TYPE: Record<string, string> = {
  chat: 'llm',
  text_completion: 'llm',
  completion: 'llm',
  embeddings: 'llm',
  generate_content: 'llm',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
}
const TRACELOOP_REQUEST_OPERATION: Record<string, string> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
  rerank: 'rerank',
}
const OPENINFERENCE_OPERATION: Record<string, string> = {
  llm: 'chat',
  embedding: 'embeddings',
  retriever: 'retrieval',
}
const LANGFUSE_OPERATION: Record<string, string> = {
  generation: 'chat',
  embedding: 'embeddings',
  retriever: 'retrieval',
}

/** Vercel AI SDK operation ids: `ai.generateText.doGenerate` is the model call, `ai.generateText` its wrapper. */
function vercelKind(id: string): { type: string; operation: string } | null {
  if (!id.startsWith('ai.')) return null
  if (id.endsWith('.doGenerate') || id.endsWith('.doStream')) return { type: 'llm', operation: 'chat' }
  if (id.endsWith('.doEmbed')) return { type: 'llm', operation: 'embeddings' }
  if (id.endsWith('.doRerank')) return { type: 'llm', operation: 'rerank' }
  if (id === 'ai.toolCall') return { type: 'tool', operation: 'tool' }
  return { type: 'chain', operation: 'chain' }
}

export function spanTypeFrom(source: string, raw: string): string {
  const v = raw.toLowerCase()
  switch (source) {
    case 'openinference.span.kind':
      return OPENINFERENCE_TYPE[v] ?? v
    case 'langfuse.observation.type':
      return LANGFUSE_TYPE[v] ?? v
    case 'traceloop.span.kind':
      return TRACELOOP_TYPE[v] ?? v
    case 'ai.operationId':
      return vercelKind(raw)?.type ?? ''
    case ATTR_GEN_AI_OPERATION_NAME:
      return GENAI_OPERATION_TYPE[v] ?? ''
    case 'llm.request.type':
      return TRACELOOP_REQUEST_OPERATION[v] ? 'llm' : ''
    default:
      return ''
  }
}

export function operationFrom(source: string, raw: string): string {
  const v = raw.toLowerCase()
  switch (source) {
    case ATTR_GEN_AI_OPERATION_NAME:
      return v
    case 'llm.request.type':
      return TRACELOOP_REQUEST_OPERATION[v] ?? v
    case 'ai.operationId':
      return vercelKind(raw)?.operation ?? ''
    case 'openinference.span.kind':
      return OPENINFERENCE_OPERATION[v] ?? v
    case 'traceloop.span.kind':
      return v
    case 'langfuse.observation.type':
      return LANGFUSE_OPERATION[v] ?? v
    default:
      return v
  }
}

/** Vercel spans always carry ai.operationId; the span name is the fallback when it is missing. */
export function vercelKindFromName(name: string): { type: string; operation: string } | null {
  return name.startsWith('ai.') ? vercelKind(name) : null
}
