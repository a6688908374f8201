import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { newEnvelope, validate, withGeneratedIds, type AnyEnvelope, type MessageType } from '../../core/catalog/index.js';
import type { Route } from './definition.js';
import type { Outcome } from './processor.js';

/**
 * The HTTP face of a service (node:http, JSON in and out). Every mode serves `GET /health`
 * and `GET /metrics`; http and hybrid modes also serve the service's routes: POSTs become
 * commands handled exactly like those from the command topic (same handler, same outbox,
 * same rejection events), GETs read the service's state.
 */

export interface HttpHooks<R> {
  routes: Route<R>[];
  /** Whether the service routes are served (http and hybrid modes). */
  serveRoutes: boolean;
  health(): Promise<{ status: 'ok' | 'degraded'; [k: string]: unknown }>;
  metrics(): string;
  command(envelope: AnyEnvelope): Promise<Outcome>;
  read<T>(fn: (repo: R) => Promise<T>): Promise<T>;
  write<T>(fn: (repo: R) => Promise<T>): Promise<T>;
  modeHint: string;
}

const MAX_BODY = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class ServiceHttpServer<R> {
  private server: Server | undefined;

  constructor(private readonly hooks: HttpHooks<R>) {}

  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => send(res, 500, { error: 'internal', message: (err as Error).message }));
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://service');
    const method = req.method ?? 'GET';
    try {
      if (url.pathname === '/health') {
        if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET /health');
        const h = await this.hooks.health();
        return send(res, h.status === 'ok' ? 200 : 503, h);
      }
      if (url.pathname === '/metrics') {
        if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET /metrics');
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.hooks.metrics());
        return;
      }
      const matches = this.hooks.routes.map((r) => ({ r, params: match(r.path, url.pathname) })).filter((m) => m.params !== undefined);
      if (matches.length === 0) throw new HttpError(404, 'not_found', `no route ${url.pathname}`, { routes: this.routeList() });
      if (!this.hooks.serveRoutes) throw new HttpError(404, 'not_found', `${url.pathname} is served in http and hybrid modes only; ${this.hooks.modeHint}`);
      const hit = matches.find((m) => m.r.method === method);
      if (!hit)
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}; use ${matches.map((m) => m.r.method).join(' or ')}`);
      const { r: route, params } = hit as { r: Route<R>; params: Record<string, string> };

      if (route.command) return await this.command(route, params, req, res);
      const body = method === 'GET' ? undefined : await readJson(req);
      const run = (repo: R) => route.query!(repo, params, url, body);
      const out = route.writes ? await this.hooks.write(run) : await this.hooks.read(run);
      return send(res, out.status, out.body);
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, { error: err.code, message: err.message, ...err.extra });
      throw err;
    }
  }

  private async command(route: Route<R>, params: Record<string, string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new HttpError(400, 'validation_failed', 'the body must be a JSON object with the command fields');
    const type = route.command as MessageType;
    const payload: Record<string, unknown> = { ...(body as Record<string, unknown>) };
    for (const [field, param] of Object.entries(route.fromParams ?? {})) {
      if (payload[field] !== undefined && payload[field] !== params[param]) {
        throw new HttpError(400, 'validation_failed', `${field} in the body (${String(payload[field])}) differs from the path (${params[param]})`);
      }
      payload[field] = params[param];
    }
    const complete = withGeneratedIds(type, payload);
    const problems = validate(type, complete);
    if (problems.length > 0) {
      throw new HttpError(400, 'validation_failed', problems.map((p) => p.message).join('; '), {
        field_errors: problems.map((p) => ({ path: p.path, message: p.message })),
      });
    }
    const correlation = header(req, 'x-correlation-id');
    const idemKey = header(req, 'idempotency-key');
    const env = newEnvelope(type, complete as never, {
      ...(correlation ? { correlationId: correlation } : {}),
      // A client retrying with the same Idempotency-Key sends the same command id: handled once.
      ...(idemKey ? { id: uuidFromKey(`${type}:${idemKey}`) } : {}),
    }) as AnyEnvelope;
    const outcome = await this.hooks.command(env);
    const ids = { id: env.id, correlation_id: env.correlation_id, type: env.type };
    switch (outcome.kind) {
      case 'accepted':
        return send(res, 201, { ...ids, result: outcome.result ?? null, emitted: outcome.emitted.map((e) => ({ id: e.id, type: e.type })) });
      case 'duplicate':
        return send(res, 200, { ...ids, duplicate: true, message: 'this command was handled before (same Idempotency-Key); nothing was done again' });
      case 'rejected': {
        const r = outcome.reason;
        const status = r.reasonCode === 'not_found' ? 404 : r.reasonCode === 'duplicate' || r.reasonCode === 'conflict' ? 409 : 422;
        return send(res, status, { ...ids, error: r.reasonCode, message: r.message, field_errors: r.fieldErrors, rejection_event_id: outcome.rejection.id });
      }
      case 'retry':
        return send(res, 503, { ...ids, error: 'unavailable', retriable: true, message: `${outcome.error.message}; nothing was changed, try again` });
      case 'ignored':
      case 'dead-letter':
        return send(res, 500, { ...ids, error: 'internal', message: outcome.kind === 'dead-letter' ? outcome.reason : 'command ignored' });
    }
  }

  private routeList(): string[] {
    return ['GET /health', 'GET /metrics', ...(this.hooks.serveRoutes ? this.hooks.routes.map((r) => `${r.method} ${r.path}`) : [])];
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim() : undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'too_large', `the body is over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const ct = req.headers['content-type'];
  if (ct && !/json/i.test(ct)) throw new HttpError(415, 'unsupported_media_type', `send JSON (Content-Type: application/json), not ${ct}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** `/campaigns/:campaign_id/videos` against a path: the parameters, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) {
      try {
        params[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
      } catch {
        return undefined;
      }
    } else if (p[i] !== s[i]) return undefined;
  }
  return params;
}

/** A UUID derived from a key (name-based, SHA-1, RFC 4122 version 5 layout). */
export function uuidFromKey(key: string): string {
  const h = createHash('sha1').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
