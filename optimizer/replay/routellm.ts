/**
 * Converts the RouteLLM evaluation data (../shared/data/routellm, see its README) into the replay
 * CSV (docs/replay.md). Prices are the README's list prices; tokens ≈ characters / 4.
 *
 *   node bin/run-ts.mjs optimizer/replay/routellm.ts [--in DIR] [--out DIR]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCsv, ReplayDataError } from './csv.ts'

export const GPT4 = 'gpt-4-1106-preview'
export const MIXTRAL = 'mixtral-8x7b-instruct'

/** USD per token (list prices per 1M tokens: GPT-4 $10 in / $30 out; Mixtral $0.60 / $0.60). */
const PRICE = { [GPT4]: { input: 10e-6, output: 30e-6 }, [MIXTRAL]: { input: 0.6e-6, output: 0.6e-6 } }
const CHARS_PER_TOKEN = 4
/** MMLU answers are one letter; the data has no response length. */
const MMLU_ANSWER_CHARS = 4
/** MT-Bench has no lengths: a documented guess per turn (turn 2 carries turn 1's exchange). */
const MTBENCH_PROMPT_CHARS = { 1: 800, 2: 3_200 } as const
const MTBENCH_ANSWER_CHARS = 1_600

const cost = (model: keyof typeof PRICE, promptChars: number, answerChars: number) =>
  (PRICE[model].input * promptChars + PRICE[model].output * answerChars) / CHARS_PER_TOKEN

const HEADER = ['route', `${GPT4}|score`, `${GPT4}|cost_usd`, `${MIXTRAL}|score`, `${MIXTRAL}|cost_usd`].join(',')
const fmt = (x: number) => x.toFixed(9)

function table(text: string, source: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text)
  if (!header) throw new ReplayDataError(`${source}: empty file`)
  return rows.map((r) => Object.fromEntries(header.cells.map((h, i) => [h, r.cells[i] ?? ''])))
}

function need(row: Record<string, string>, col: string, source: string): number {
  const v = Number(row[col])
  if (row[col] === undefined || row[col] === '' || !Number.isFinite(v))
    throw new ReplayDataError(`${source}: column "${col}" missing or not a number`)
  return v
}

/** MMLU: one route per subject; contaminated rows dropped (as RouteLLM does). */
export function convertMmlu(text: string): string {
  const lines = [HEADER]
  for (const r of table(text, 'mmlu')) {
    if (r.contaminated === '1') continue
    const chars = need(r, 'prompt_chars', 'mmlu')
    lines.push(
      [
        r.subject,
        need(r, 'gpt4_correct', 'mmlu'),
        fmt(cost(GPT4, chars, MMLU_ANSWER_CHARS)),
        need(r, 'mixtral_correct', 'mmlu'),
        fmt(cost(MIXTRAL, chars, MMLU_ANSWER_CHARS)),
      ].join(','),
    )
  }
  return lines.join('\n') + '\n'
}

/** GSM8K: one route; costs from the prompt and each model's response length. */
export function convertGsm8k(text: string): string {
  const lines = [HEADER]
  for (const r of table(text, 'gsm8k')) {
    if (r.contaminated === '1') continue
    const chars = need(r, 'prompt_chars', 'gsm8k')
    lines.push(
      [
        'gsm8k',
        need(r, 'gpt4_correct', 'gsm8k'),
        fmt(cost(GPT4, chars, need(r, 'gpt4_response_chars', 'gsm8k'))),
        need(r, 'mixtral_correct', 'gsm8k'),
        fmt(cost(MIXTRAL, chars, need(r, 'mixtral_response_chars', 'gsm8k'))),
      ].join(','),
    )
  }
  return lines.join('\n') + '\n'
}

/** MT-Bench: one route per category; the judge's 1–10 score scaled to 0–1; both models' judgements paired by question and turn. */
export function convertMtBench(text: string): string {
  const pairs = new Map<string, { category: string; turn: number; gpt4?: number; mixtral?: number }>()
  for (const r of table(text, 'mtbench')) {
    const key = `${r.question_id}|${r.turn}`
    const p = pairs.get(key) ?? { category: r.category!, turn: need(r, 'turn', 'mtbench') }
    const score = Math.min(1, Math.max(0, need(r, 'score_1_to_10', 'mtbench') / 10))
    if (r.model === GPT4) p.gpt4 = score
    else p.mixtral = score
    pairs.set(key, p)
  }
  const lines = [HEADER]
  for (const p of pairs.values()) {
    if (p.gpt4 === undefined || p.mixtral === undefined) continue
    const prompt = p.turn === 2 ? MTBENCH_PROMPT_CHARS[2] : MTBENCH_PROMPT_CHARS[1]
    lines.push(
      [
        p.category,
        p.gpt4,
        fmt(cost(GPT4, prompt, MTBENCH_ANSWER_CHARS)),
        p.mixtral,
        fmt(cost(MIXTRAL, prompt, MTBENCH_ANSWER_CHARS)),
      ].join(','),
    )
  }
  return lines.join('\n') + '\n'
}

export const ROUTELLM_DIR = '/work/shared/data/routellm'

export function convertRouteLlm(inDir: string): Record<'mmlu' | 'gsm8k' | 'mtbench', string> {
  return {
    mmlu: convertMmlu(readFileSync(join(inDir, 'routellm_mmlu.csv'), 'utf8')),
    gsm8k: convertGsm8k(readFileSync(join(inDir, 'routellm_gsm8k.csv'), 'utf8')),
    mtbench: convertMtBench(readFileSync(join(inDir, 'routellm_mtbench.csv'), 'utf8')),
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
  }
  const inDir = arg('--in', ROUTELLM_DIR)
  const outDir = arg('--out', 'data/replay')
  mkdirSync(outDir, { recursive: true })
  for (const [name, csv] of Object.entries(convertRouteLlm(inDir))) {
    writeFileSync(join(outDir, `routellm-${name}.csv`), csv)
    console.log(`${join(outDir, `routellm-${name}.csv`)}: ${csv.split('\n').length - 2} requests`)
  }
}
