import { describe, expect, it } from 'vitest';
import { startedUrl } from '../../../src/core/demo/services.js';

describe("the demo reads a service's started line", () => {
  it('takes the URL (with the port the system picked) from the JSON started line only', () => {
    expect(startedUrl('{"event":"started","status":"ok","port":41237,"url":"http://127.0.0.1:41237"}')).toBe('http://127.0.0.1:41237');
    expect(startedUrl('{"event":"stopped","outbox_left":{}}')).toBeUndefined();
    expect(startedUrl('{"event":"started"}')).toBeUndefined();
    expect(startedUrl('Running on pulsar://127.0.0.1:6650 (t/ns). Ctrl-C stops gracefully.')).toBeUndefined();
    expect(startedUrl('{not json')).toBeUndefined();
  });
});
