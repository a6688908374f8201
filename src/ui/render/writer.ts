/**
 * Fast line output for streams of messages (`miso tail --json` to a file or pipe): lines
 * are encoded straight into a large buffer and written a chunk at a time, waiting for the
 * stream to drain when it is full, so a tail of a million messages is not a million write
 * calls (nor one big string join and re-encode per chunk). Every line goes through
 * `redact` like all other output.
 */
import { redact } from '../../config/index.js';

export class LineWriter {
  private chunk: Buffer | undefined;
  private pos = 0;
  private scheduled = false;

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly chunkBytes = 256 * 1024,
  ) {}

  /** Queue one line; returns a promise only when the caller must wait (a chunk is being written). */
  line(text: string): Promise<void> | undefined {
    const s = redact(text);
    // Worst case three bytes per UTF-16 unit (a surrogate pair is four bytes for two units).
    const room = s.length * 3 + 1;
    let wait: Promise<void> | undefined;
    if (this.chunk && this.pos + room > this.chunk.length) wait = this.writeChunk();
    if (room > this.chunkBytes) {
      // A line bigger than a chunk goes out on its own.
      const more = this.writeOut(s + '\n');
      return wait && more ? wait.then(() => more) : (wait ?? more);
    }
    // A fresh buffer per chunk: the stream may still hold the previous one.
    const chunk = (this.chunk ??= Buffer.allocUnsafe(this.chunkBytes));
    this.pos += chunk.write(s, this.pos, 'utf8');
    chunk[this.pos++] = 0x0a;
    if (wait) return wait;
    if (!this.scheduled) {
      // Live messages trickle in: do not hold them back longer than one tick.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
    return undefined;
  }

  async flush(): Promise<void> {
    const wait = this.writeChunk();
    if (wait) await wait;
  }

  private writeChunk(): Promise<void> | undefined {
    if (!this.chunk || this.pos === 0) return undefined;
    const out = this.chunk.subarray(0, this.pos);
    this.chunk = undefined;
    this.pos = 0;
    return this.writeOut(out);
  }

  private writeOut(data: Buffer | string): Promise<void> | undefined {
    if (this.stream.write(data)) return undefined;
    return new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }
}
