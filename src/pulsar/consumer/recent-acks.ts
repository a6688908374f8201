/**
 * Entries a consumer's application acknowledged lately. When a topic moves (unload, a broker
 * killed) acknowledgements in flight, or not yet persisted by a broker that died, are lost and
 * the new owner redelivers those entries. The consumer drops such a redelivery and
 * acknowledges it again instead of handing the application a message twice. Bounded: the
 * oldest keys fall out first.
 */
export class RecentAcks {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 20_000) {}

  add(ledgerId: bigint, entryId: bigint): void {
    const k = `${ledgerId}:${entryId}`;
    // Re-inserting moves a key to the young end, so it is forgotten last.
    this.keys.delete(k);
    this.keys.add(k);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value!);
  }

  has(ledgerId: bigint, entryId: bigint): boolean {
    return this.keys.has(`${ledgerId}:${entryId}`);
  }

  get size(): number {
    return this.keys.size;
  }
}
