// Loads collector/otlp/trace.proto once at module load. The protobuf decoder takes its field
// numbers from here, so the .proto file is the single source of the wire layout.
import { readFileSync } from 'node:fs'
import protobuf from 'protobufjs'

const source = readFileSync(new URL('./trace.proto', import.meta.url), 'utf8')
export const otlpRoot: protobuf.Root = protobuf.parse(source, { keepCase: false }).root

export function messageType(name: string): protobuf.Type {
  return otlpRoot.lookupType(`opentelemetry.proto.${name}`)
}

/** The field numbers of a message type by (camelCase) field name. */
export function fieldNumbers<const K extends string>(typeName: string, names: readonly K[]): Record<K, number> {
  const type = messageType(typeName)
  const out = {} as Record<K, number>
  for (const name of names) {
    const field = type.fields[name]
    if (!field) throw new Error(`trace.proto: ${typeName} has no field ${name}`)
    out[name] = field.id
  }
  return out
}
