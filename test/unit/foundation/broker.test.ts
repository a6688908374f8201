import { describe, it, expect } from 'vitest';
import { createServer } from 'node:net';
import { applyConf, diagnoseStartFailure, portFree } from '../../../src/broker/local.js';
import { closest } from '../../../src/cli/main.js';
import { formatError } from '../../../src/ui/errors.js';
import { MisoError } from '../../../src/errors.js';

describe('broker.conf editing', () => {
  it('replaces keys where they stand and appends missing ones after a newline', () => {
    const base = '# comment\nbrokerServicePort=6650\nwebServicePort=8080\nbindAddress=0.0.0.0';
    const out = applyConf(base, { brokerServicePort: '16650', bindAddress: '127.0.0.1', brokerDeduplicationEnabled: 'true' });
    expect(out).toBe('# comment\nbrokerServicePort=16650\nwebServicePort=8080\nbindAddress=127.0.0.1\n\n# set by miso\nbrokerDeduplicationEnabled=true\n');
  });

  it('does not touch keys that only share a prefix', () => {
    const out = applyConf('webServicePortTls=8443\nwebServicePort=8080\n', { webServicePort: '18080' });
    expect(out.split('\n')).toContain('webServicePortTls=8443');
    expect(out.split('\n')).toContain('webServicePort=18080');
  });
});

describe('start failure diagnosis', () => {
  it.each([
    ['java.net.BindException: Address already in use', /port/],
    ['Error occurred during initialization of VM\nCould not reserve enough space for object heap', /memory/],
    ['Exception in thread "main" java.lang.UnsupportedClassVersionError: class file version 61.0', /too old/],
    ['bin/pulsar: line 12: java: command not found', /Java was not found/],
    ['something else entirely', /log lines/],
  ])('%s', (log, cause) => {
    expect(diagnoseStartFailure(log)).toMatch(cause);
  });
});

describe('ports', () => {
  it('sees a port held by a listener as taken and a released one as free', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    expect(await portFree(port)).toBe(false);
    await new Promise<void>((r) => srv.close(() => r()));
    expect(await portFree(port)).toBe(true);
  });
});

describe('CLI helpers', () => {
  it('suggests the nearest command for a typo and nothing for noise', () => {
    const ids = ['broker up', 'broker down', 'config list', 'send', 'tail'];
    expect(closest('brokr up', ids)).toBe('broker up');
    expect(closest('tali', ids)).toBe('tail');
    expect(closest('completely different', ids)).toBeUndefined();
  });

  it('renders a user error as one line with its next step', () => {
    const text = formatError(new MisoError('broker not reachable', { hint: 'Start it with `miso broker up`.' }));
    expect(text).toBe('miso: broker not reachable — Start it with `miso broker up`.');
    expect(text.split('\n')).toHaveLength(1);
  });

  it('renders a bug with its stack', () => {
    const text = formatError(new TypeError('x is undefined'));
    expect(text).toMatch(/internal error: x is undefined/);
    expect(text).toMatch(/at /);
  });
});

describe('oclif parse errors in one line', () => {
  it.each([
    [
      'Parsing --port \n\tExpected an integer less than or equal to 65535 but received: 99999\nSee more help with --help',
      '--port: Expected an integer less than or equal to 65535 but received: 99999',
    ],
    [
      'Missing 2 required args:\nkey    the setting, one of a list that is long,\n       so long it wraps\nvalue  the value\nSee more help with --help',
      'Missing 2 required args: key, value',
    ],
    ['Nonexistent flag: --bogus\nSee more help with --help', 'Nonexistent flag: --bogus'],
  ])('%j', async (message, line) => {
    const { oneLineOclifMessage } = await import('../../../src/ui/errors.js');
    expect(oneLineOclifMessage(message)).toBe(line);
  });
});
