import { MemoryQueue } from '../../evaluator/queue/memory.ts'
import { queueContract } from './queue-contract.ts'

queueContract('in-process', async (options) => new MemoryQueue(options))
