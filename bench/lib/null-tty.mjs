// A terminal Ink renders into without one: output thrown away (bytes counted), keys never come.
import { EventEmitter } from 'node:events';

/** A terminal that throws the output away but looks like a 160×50 TTY to Ink. */
export class NullTerminal extends EventEmitter {
  isTTY = true;
  columns = 160;
  rows = 50;
  bytes = 0;
  write(chunk, enc, cb) {
    this.bytes += chunk.length;
    if (typeof enc === 'function') enc();
    else if (typeof cb === 'function') cb();
    return true;
  }
}

export class NullKeyboard extends EventEmitter {
  isTTY = true;
  setRawMode() {
    return this;
  }
  setEncoding() {}
  resume() {
    return this;
  }
  pause() {
    return this;
  }
  ref() {}
  unref() {}
  read() {
    return null;
  }
}
