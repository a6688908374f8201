import type { MessageId } from './message-id.js';
import { decodeEntryProperties, findEntryProperty } from './protocol/batch.js';
import type { KeyValue } from './protocol/definitions.js';
import type { Message } from './types.js';

/**
 * A message as the consumer hands it out. Its properties are decoded on first access
 * (from the entry's metadata bytes or the frame's decoded list) and a batched message's
 * sequence id is computed when asked: readers that never look at them (a `tail --json`
 * of every message) skip a record, eight strings and two bigints per message.
 *
 * The payload is a view into the received frame (no copy), so a message kept for long
 * keeps its frame's bytes alive.
 */
export class ReceivedMessage implements Message {
  declare key?: string;
  declare eventTime?: number;
  declare schemaVersion?: Buffer;
  private props: Record<string, string> | undefined = undefined;
  private seq: bigint | undefined = undefined;

  constructor(
    public messageId: MessageId,
    public topic: string,
    public payload: Buffer,
    public publishTime: number,
    public redeliveryCount: number,
    public producerName: string,
    /** Where the properties come from: the batch payload and the entry's metadata range, or the frame's list. */
    private readonly propsSource: Buffer | KeyValue[] | undefined,
    private readonly propsStart: number,
    private readonly propsEnd: number,
    /** The entry's own sequence id, or the frame's plus this message's batch index. */
    private readonly seqBase: bigint,
    private readonly seqOffset: number,
  ) {}

  get properties(): Record<string, string> {
    if (this.props === undefined) {
      const src = this.propsSource;
      if (src === undefined) this.props = {};
      else if (Buffer.isBuffer(src)) this.props = decodeEntryProperties(src, this.propsStart, this.propsEnd);
      else {
        const out: Record<string, string> = {};
        for (const kv of src) out[kv.key] = kv.value;
        this.props = out;
      }
    }
    return this.props;
  }

  /** One property, without decoding the others when they were not decoded yet. */
  property(key: string): string | undefined {
    const src = this.propsSource;
    if (this.props !== undefined || !Buffer.isBuffer(src)) return this.properties[key];
    return findEntryProperty(src, this.propsStart, this.propsEnd, keyBytes(key));
  }

  set properties(value: Record<string, string>) {
    this.props = value;
  }

  get sequenceId(): bigint {
    if (this.seq === undefined) this.seq = this.seqOffset === 0 ? this.seqBase : this.seqBase + BigInt(this.seqOffset);
    return this.seq;
  }

  set sequenceId(value: bigint) {
    this.seq = value;
  }
}

const KEY_BYTES = new Map<string, Buffer>();
function keyBytes(key: string): Buffer {
  let b = KEY_BYTES.get(key);
  if (!b) {
    b = Buffer.from(key, 'utf8');
    if (KEY_BYTES.size < 256) KEY_BYTES.set(key, b);
  }
  return b;
}

/** `m.properties[key]`, decoding only that property when the client can. */
export function propertyOf(m: Message, key: string): string | undefined {
  return m instanceof ReceivedMessage ? m.property(key) : m.properties[key];
}
