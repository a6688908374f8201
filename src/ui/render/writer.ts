/**
 * Fast line output for streams of messages (`miso tail --json` to a file or pipe): lines
 * are gathered and written in large chunks, waiting for the stream to drain when it is
 * full, so a tail of a million messages is not a million write calls. Every chunk goes
 * through `redact` like all other output.
 */
import { redact } from '../../config/index.js';

export class LineWriter {
  private buf: string[] = [];
  private size = 0;
  private scheduled = false;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout, private readonly chunkBytes = 256 * 1024) {}

  /** Queue one line; returns a promise only when the caller must wait (a chunk is being written). */
  line(text: string): Promise<void> | undefined {
    this.buf.push(text);
    this.size += text.length + 1;
    if (this.size >= this.chunkBytes) return this.flush();
    if (!this.scheduled) {
      // Live messages trickle in: do not hold them back longer than one tick.
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; void this.flush(); });
    }
    return undefined;
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = redact(this.buf.join('\n') + '\n');
    this.buf = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }
}
