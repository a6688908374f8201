/**
 * Where a non-durable subscription (a reader) starts, and the filter for the messages before
 * it. The protocol's start position is exclusive and names an entry; for an inclusive start,
 * or a start inside a batch, the subscription asks for the entry before and the filter drops
 * the extra messages on arrival. Only the first entry after a (re)subscribe can hold such
 * messages: the filter turns itself off once a message passes.
 */
import { MessageId } from '../message-id.js';
import type { MessageIdData } from '../protocol/definitions.js';

export class StartPosition {
  private filtering = true;

  constructor(
    private id: MessageId | undefined,
    private inclusive: boolean,
  ) {}

  get messageId(): MessageId | undefined {
    return this.id;
  }

  /** Start somewhere else (a seek, or resuming after the last message read). */
  moveTo(id: MessageId, inclusive: boolean): void {
    this.id = id;
    this.inclusive = inclusive;
  }

  /** The start_message_id of the next subscribe; also re-arms the filter. */
  subscribeData(): MessageIdData | undefined {
    this.filtering = true;
    const id = this.id;
    if (!id) return undefined;
    if (id === MessageId.earliest || id === MessageId.latest) return id.toData(false);
    if (this.inclusive || id.batchIndex >= 0) return { ledgerId: id.ledgerId, entryId: id.entryId, batch_index: Math.max(0, id.batchIndex) };
    return { ledgerId: id.ledgerId, entryId: id.entryId };
  }

  /** Whether a message lies before the start and must be skipped. */
  isBefore(m: MessageId): boolean {
    if (!this.filtering) return false;
    const s = this.id;
    if (!s || s === MessageId.earliest || s === MessageId.latest) {
      this.filtering = false;
      return false;
    }
    let before: boolean;
    if (m.ledgerId !== s.ledgerId || m.entryId !== s.entryId) before = m.compare(s) < 0;
    else if (s.batchIndex < 0 || m.batchIndex < 0) before = !this.inclusive;
    else before = this.inclusive ? m.batchIndex < s.batchIndex : m.batchIndex <= s.batchIndex;
    if (!before) this.filtering = false;
    return before;
  }
}
