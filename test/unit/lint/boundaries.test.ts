// The layer rules of the architecture guide live in eslint.config.js as import boundaries.
// These cases lint snippets as if they were files of a given layer, through ESLint's own
// API and the project's config, so a rule that stops firing (or fires on allowed imports)
// fails here rather than silently letting a layer reach upward.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** Lints `import { x } from '<specifier>'` as the file `filePath`; returns its problems. */
async function lintImport(filePath: string, specifier: string) {
  const [result] = await eslint.lintText(`import { x } from '${specifier}';\nexport const y = x;\n`, { filePath });
  return result!.messages.map((m) => ({ rule: m.ruleId, message: m.message }));
}

const breach = (layerRule: RegExp) => [{ rule: 'no-restricted-imports', message: expect.stringMatching(layerRule) }];

describe('layer boundaries', () => {
  it.each([
    ['src/pulsar/x.ts', '../commands/send.js', /the Pulsar client imports nothing above it/],
    ['src/pulsar/x.ts', '../core/publisher.js', /the Pulsar client imports nothing above it/],
    ['src/pulsar/protocol/x.ts', '../../config/index.js', /the Pulsar client imports nothing above it/],
    ['src/ui/x.ts', '../pulsar/client.js', /ui never imports the Pulsar client/],
    ['src/ui/dashboard/components/x.tsx', '../../../pulsar/index.js', /ui never imports the Pulsar client/],
    ['src/commands/x.ts', '../pulsar/admin.js', /commands never import the Pulsar client/],
    ['src/commands/dlq/x.ts', '../../pulsar/admin.js', /commands never import the Pulsar client/],
    ['src/services/x.ts', '../commands/run.js', /services never import ui or commands/],
    ['src/services/host/x.ts', '../../ui/render/index.js', /services never import ui or commands/],
    ['src/core/x.ts', '../services/host/service-host.js', /core never imports the layers above it/],
    ['src/broker/x.ts', '../services/demo.js', /broker never imports services/],
    ['src/config/x.ts', '../core/topics.js', /config sits just above the client/],
    ['src/util/x.ts', '../config/index.js', /util is below every layer/],
    ['src/errors.ts', './util/wait.js', /src\/errors.ts imports nothing from src/],
  ])('%s importing %s is refused', async (file, specifier, why) => {
    expect(await lintImport(file, specifier)).toEqual(breach(why));
  });

  it.each([
    ['src/pulsar/x.ts', '../errors.js'],
    ['src/pulsar/x.ts', '../util/wait.js'],
    ['src/pulsar/protocol/x.ts', '../frame.js'],
    ['src/config/x.ts', '../pulsar/url.js'],
    ['src/core/x.ts', '../pulsar/client.js'],
    ['src/services/host/x.ts', '../../core/publisher.js'],
    ['src/ui/x.ts', '../core/tail.js'],
    // src/commands/broker/ is not src/broker/: the same '../' means another folder one level down.
    ['src/commands/broker/x.ts', '../../broker/local.js'],
    ['src/commands/broker/x.ts', '../../ui/render/index.js'],
    ['src/util/x.ts', '../errors.js'],
  ])('%s importing %s is allowed', async (file, specifier) => {
    expect(await lintImport(file, specifier)).toEqual([]);
  });
});
