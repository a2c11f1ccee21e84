import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_DATA_SOURCE_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
} from '../../lib/attributes.ts'

const propagator = new W3CTraceContextPropagator()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface AgentTurn {
  gatewayUrl: string
  model: string
  key: string
  sessionId: string
  userId: string
  random: () => number
}

/** One call through the gateway, as a child of `ctx`'s span (W3C traceparent), with a known answer when given. */
async function callGateway(turn: AgentTurn, ctx: Context, prompt: string, expectedAnswer?: string): Promise<string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${turn.key}`,
    'x-loopgate-session-id': turn.sessionId,
    'x-loopgate-user-id': turn.userId,
  }
  propagator.inject(ctx, headers, { set: (carrier, k, v) => void (carrier[k] = v) })
  if (expectedAnswer !== undefined) headers['x-loopgate-task'] = JSON.stringify({ expected_answer: expectedAnswer })
  const res = await fetch(`${turn.gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: turn.model, messages: [{ role: 'user', content: prompt }], max_tokens: 64 }),
  })
  const body = (await res.json()) as { choices?: { message?: { content?: string } }[]; error?: { message: string } }
  if (!res.ok) throw new Error(body.error?.message ?? `gateway answered ${res.status}`)
  return body.choices?.[0]?.message?.content ?? ''
}

/**
 * One agent turn, instrumented as an agent framework would: plan (LLM) → tool → retrieval →
 * answer (LLM, with a known answer the evaluator checks). The gateway's spans nest inside it.
 */
export async function runAgentTurn(tracer: Tracer, turn: AgentTurn): Promise<void> {
  const a = 2 + Math.floor(turn.random() * 40)
  const b = 2 + Math.floor(turn.random() * 40)
  const root = tracer.startSpan('invoke_agent support-agent', {
    kind: SpanKind.INTERNAL,
    attributes: {
      [ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [ATTR_GEN_AI_AGENT_NAME]: 'support-agent',
      'session.id': turn.sessionId,
      'user.id': turn.userId,
    },
  })
  const rootCtx = trace.setSpan(ROOT_CONTEXT, root)
  const step = async (name: string, attributes: Record<string, string>, work: (ctx: Context) => Promise<unknown>) => {
    const span = tracer.startSpan(name, { attributes }, rootCtx)
    try {
      await work(trace.setSpan(rootCtx, span))
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message })
      throw err
    } finally {
      span.end()
    }
  }
  try {
    await step('plan', { [ATTR_GEN_AI_OPERATION_NAME]: 'plan' }, (ctx) =>
      callGateway(turn, ctx, `Plan how to answer: what is ${a} times ${b}?`),
    )
    await step(
      'execute_tool calculator',
      { [ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool', [ATTR_GEN_AI_TOOL_NAME]: 'calculator' },
      () => sleep(20 + turn.random() * 60),
    )
    await step(
      'retrieve knowledge-base',
      { [ATTR_GEN_AI_OPERATION_NAME]: 'retrieval', [ATTR_GEN_AI_DATA_SOURCE_ID]: 'kb-main' },
      () => sleep(30 + turn.random() * 90),
    )
    await step('answer', { [ATTR_GEN_AI_OPERATION_NAME]: 'answer' }, (ctx) =>
      callGateway(turn, ctx, `What is ${a} times ${b}? Answer with the number.`, String(a * b)),
    )
  } catch (err) {
    root.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message })
  } finally {
    root.end()
  }
}
