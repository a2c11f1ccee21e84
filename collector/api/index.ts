// PLACEHOLDER — replaced by the query API work (sessions, traces, chargeback, scores, route stats, decisions).
import type { FastifyInstance } from 'fastify'
import type { CollectorDeps } from '../deps.ts'

export async function registerQueryApi(_app: FastifyInstance, _deps: CollectorDeps): Promise<void> {}
