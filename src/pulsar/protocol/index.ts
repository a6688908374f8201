/** The pure protocol layer: protobuf codec, message definitions, frames, CRC32C. No I/O. */
export * from './commands.js';
export * from './crc32c.js';
export * from './definitions.js';
export * from './frame.js';
export * from './batch.js';
export { decodeMessage, encodeMessage, ProtoReader, ProtoWriter, type MessageDef, type FieldDef } from './protobuf.js';
