/** Conversion between the public SchemaInfo and the protocol's Schema message. */
import { SchemaType, type ProtoSchema } from './protocol/definitions.js';
import type { SchemaInfo } from './types.js';

const TYPE_CODES: Record<string, number> = {
  NONE: SchemaType.None,
  BYTES: SchemaType.None,
  STRING: SchemaType.String,
  JSON: SchemaType.Json,
  PROTOBUF: SchemaType.Protobuf,
  AVRO: SchemaType.Avro,
  BOOLEAN: SchemaType.Bool,
  INT8: SchemaType.Int8,
  INT16: SchemaType.Int16,
  INT32: SchemaType.Int32,
  INT64: SchemaType.Int64,
  FLOAT: SchemaType.Float,
  DOUBLE: SchemaType.Double,
  DATE: SchemaType.Date,
  TIME: SchemaType.Time,
  TIMESTAMP: SchemaType.Timestamp,
  KEY_VALUE: SchemaType.KeyValue,
  INSTANT: SchemaType.Instant,
  LOCAL_DATE: SchemaType.LocalDate,
  LOCAL_TIME: SchemaType.LocalTime,
  LOCAL_DATE_TIME: SchemaType.LocalDateTime,
  PROTOBUF_NATIVE: SchemaType.ProtobufNative,
  AUTO_CONSUME: SchemaType.AutoConsume,
};

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(TYPE_CODES)
    .filter(([name]) => name !== 'NONE')
    .map(([name, code]) => [code, name]),
);

export function schemaTypeCode(type: string): number | undefined {
  return TYPE_CODES[type.toUpperCase()];
}

export function schemaTypeName(code: number): string {
  return TYPE_NAMES[code] ?? `TYPE_${code}`;
}

/** Whether a producer/consumer should announce this schema (BYTES means "no schema"). */
export function announcesSchema(info: SchemaInfo | undefined): info is SchemaInfo {
  return info !== undefined && (schemaTypeCode(info.type) ?? -1) !== SchemaType.None;
}

export function toProtoSchema(info: SchemaInfo, fallbackName: string): ProtoSchema {
  const code = schemaTypeCode(info.type);
  if (code === undefined) throw new Error(`unknown schema type ${info.type}`);
  const out: ProtoSchema = { name: info.name ?? fallbackName, schema_data: Buffer.from(info.schema, 'utf8'), type: code };
  const props = Object.entries(info.properties ?? {});
  if (props.length > 0) out.properties = props.map(([key, value]) => ({ key, value }));
  return out;
}

export function fromProtoSchema(s: ProtoSchema): SchemaInfo {
  const info: SchemaInfo = { type: schemaTypeName(s.type), name: s.name, schema: s.schema_data.toString('utf8') };
  if (s.properties && s.properties.length > 0) info.properties = Object.fromEntries(s.properties.map((p) => [p.key, p.value]));
  return info;
}
