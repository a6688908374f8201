import { redact } from '../config/index.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A progress line on stderr. On a TTY it animates in place; otherwise each new text is
 * printed once as a plain line, so logs and CI output stay readable.
 */
export class Spinner {
  private text = '';
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty = Boolean(process.stderr.isTTY);

  start(text: string): this {
    this.update(text);
    if (this.tty && !this.timer) {
      this.timer = setInterval(() => this.draw(), 80);
      this.timer.unref();
    }
    return this;
  }

  update(text: string): void {
    if (text === this.text) return;
    // Without a TTY, a line that differs only in its counters (seconds, MB) is not news.
    const news = stem(text) !== stem(this.text);
    this.text = text;
    if (this.tty) this.draw();
    else if (news) process.stderr.write(redact(text) + '\n');
  }

  stop(final?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) process.stderr.write('\r\x1b[2K');
    if (final) process.stderr.write(redact(final) + '\n');
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    process.stderr.write(`\r\x1b[2K${FRAMES[this.frame]} ${redact(this.text)}`);
  }
}

function stem(text: string): string {
  return text.replace(/\d+(\.\d+)?/g, '#');
}
