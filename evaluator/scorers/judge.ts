import type { Span } from '../../collector/client.ts'
import type { JudgeSettings } from '../config.ts'
import { clip, uncapturedAnswer } from './text.ts'
import { RetryableError, type ScoreDraft, type Scorer } from './types.ts'
import { normalizeScore, parseVerdict } from './verdict.ts'

const NAME = 'judge'

export const DEFAULT_RUBRIC = `You grade an AI assistant's response to a user's request.
Judge helpfulness, correctness and completeness. Ignore style unless it hurts clarity.`

/**
 * LLM-as-judge through the Loopgate gateway's OpenAI-compatible endpoint, with the system
 * tenant's virtual key (so the judge's cost is never charged to the judged tenant). The rubric
 * version is the scorer version. Value: the rubric score mapped onto 0–1; label: the raw score.
 * Timeouts, malformed or out-of-range verdicts become a `failed` score with the reason.
 */
export function createJudgeScorer(
  settings: JudgeSettings,
  fetchImpl: typeof fetch = (i, o) => globalThis.fetch(i, o),
): Scorer {
  const { min, max } = settings.rubric
  const system = `${settings.rubric.instructions ?? DEFAULT_RUBRIC}
Score on an integer scale from ${min} (worst) to ${max} (best).
Reply with only a JSON object: {"score": <${min}-${max}>, "reason": "<one or two sentences>"}`

  return {
    name: NAME,
    version: settings.rubric.version,
    async score(span, ctx) {
      if (!settings.baseUrl)
        return [failed('the judge is not configured: set evaluator.judge.baseUrl (env LOOPGATE_JUDGE_URL)')]
      if (span.is_error) return [failed('the call failed, there is no response to judge')]
      const uncaptured = uncapturedAnswer(span.attributes)
      if (uncaptured) return [failed(uncaptured)]
      let content: string
      try {
        content = await ask(span, ctx.signal)
      } catch (err) {
        if (ctx.signal.aborted || (err instanceof RetryableError && !ctx.lastAttempt)) throw err
        return [failed((err as Error).message)]
      }
      const verdict = parseVerdict(content, min, max)
      if (!verdict.ok) return [failed(verdict.reason)]
      return [
        {
          name: NAME,
          data_type: 'numeric',
          value: normalizeScore(verdict.score, min, max),
          label: `${verdict.score}/${max}`,
          reason: clip(verdict.reason, 2000),
          status: 'ok',
        },
      ]
    },
  }

  async function ask(span: Span, signal: AbortSignal): Promise<string> {
    const user = `## Request\n${clip(span.input_text || '(no input recorded)', settings.maxChars)}\n\n## Response\n${clip(span.output_text || '(empty response)', settings.maxChars)}`
    const timeout = AbortSignal.timeout(settings.timeoutMs)
    let res: Response
    try {
      res = await fetchImpl(`${settings.baseUrl!.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
          'x-loopgate-judged-span': span.span_id,
          ...settings.headers,
        },
        body: JSON.stringify({
          model: settings.route,
          temperature: 0,
          max_tokens: 400,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: user },
          ],
        }),
        signal: AbortSignal.any([signal, timeout]),
      })
      if (res.status === 429 || res.status >= 500)
        throw new RetryableError(`the judge route answered HTTP ${res.status}: ${clip(await res.text(), 300)}`)
      if (!res.ok)
        throw new Error(`the judge route refused the request: HTTP ${res.status} ${clip(await res.text(), 300)}`)
      const body = (await res.json().catch(() => null)) as { choices?: { message?: { content?: unknown } }[] } | null
      const content = body?.choices?.[0]?.message?.content
      if (typeof content !== 'string')
        throw new Error('the judge answered without a message content (malformed response)')
      return content
    } catch (err) {
      if (timeout.aborted) throw new Error(`the judge did not answer within ${settings.timeoutMs} ms`, { cause: err })
      if (signal.aborted) throw new RetryableError('the evaluation was interrupted by shutdown')
      if (err instanceof TypeError)
        throw new RetryableError(
          `the judge route is unreachable: ${(err.cause as Error | undefined)?.message ?? err.message}`,
        )
      throw err
    }
  }
}

const failed = (reason: string): ScoreDraft => ({
  name: NAME,
  data_type: 'numeric',
  value: 0,
  reason,
  status: 'failed',
})
