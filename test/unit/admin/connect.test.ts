import { describe, expect, it } from 'vitest';
import { openAdmin, openClient, openPulsar } from '../../../src/core/connect.js';
import { ConfigError } from '../../../src/errors.js';

const settings = { serviceUrl: 'pulsar://127.0.0.1:1', adminUrl: 'http://127.0.0.1:1', token: 'a.b.c' };

describe('openPulsar: the one place connections come from', () => {
  it('makes each side on first use only: a bad admin URL does not stop a command that only reads', async () => {
    const pulsar = openPulsar({ ...settings, adminUrl: 'not a url' });
    expect(pulsar.client.serviceUrl).toBe('pulsar://127.0.0.1:1');
    expect(pulsar.client).toBe(pulsar.client);
    expect(() => pulsar.admin).toThrow(ConfigError);
    await pulsar.close();
    expect(() => pulsar.client).toThrow(/closed/);
  });

  it("gives the admin client the settings' URL", async () => {
    const pulsar = openPulsar(settings);
    expect(pulsar.admin.adminUrl).toBe('http://127.0.0.1:1');
    expect(pulsar.admin).toBe(pulsar.admin);
    // Nothing was opened on the binary side: closing has nothing to wait for.
    await pulsar.close();
  });

  it('openClient and openAdmin take the same settings', async () => {
    const client = openClient(settings, { keepAliveIntervalMs: 5_000 });
    expect(client.serviceUrl).toBe(settings.serviceUrl);
    await client.close();
    expect(openAdmin(settings, { timeoutMs: 1_000 }).adminUrl).toBe(settings.adminUrl);
    expect(() => openAdmin({ adminUrl: 'ftp://x' })).toThrow(ConfigError);
  });
});
