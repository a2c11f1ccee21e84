import type { FastifyInstance } from 'fastify'
import type { CollectorDeps } from '../deps.ts'
export async function registerOtlpReceiver(_app: FastifyInstance, _deps: CollectorDeps): Promise<void> {}
