/**
 * How one message looks on a terminal line: time, topic, type, short correlation id and the
 * fields that say what happened. Shared by `miso tail`, `miso send --wait` and the dashboard
 * feed. Pure: strings in, strings out; colour comes from the caller's chalk instance.
 */
import type { ChalkInstance } from 'chalk';
import { specOf, shortTopicName, type MessageKind } from '../../core/catalog/index.js';

/** A message as the renderers see it: decoded, or undecodable with a reason. */
export interface ShownMessage {
  topic: string;
  publishTime: number;
  messageId?: string;
  key?: string;
  deadLetter?: boolean;
  envelope?: { id: string; type: string; timestamp: number; correlation_id: string; causation_id: string | null; payload: unknown };
  /** Why the message could not be decoded (the envelope is then absent or partial). */
  error?: string;
}

export function kindOf(m: ShownMessage): MessageKind | 'dead-letter' | 'undecodable' {
  if (m.deadLetter) return 'dead-letter';
  if (!m.envelope || m.error) return 'undecodable';
  return specOf(m.envelope.type)?.kind ?? 'undecodable';
}

export function paint(color: ChalkInstance, kind: ReturnType<typeof kindOf>, text: string): string {
  switch (kind) {
    case 'command':
      return color.cyan(text);
    case 'event':
      return color.green(text);
    case 'rejection':
      return color.red(text);
    case 'dead-letter':
      return color.magenta(text);
    default:
      return color.yellow(text);
  }
}

/** HH:MM:SS.mmm in local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** First 8 characters of an id: enough to tell workflows apart on one screen. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

const fractionDigits = new Map<string, number>();
/** 1299 + "USD" → "12.99 USD" (minor units by the currency's own number of decimals). */
export function money(minor: unknown, currency: unknown): string {
  if (typeof minor !== 'number') return String(minor);
  const cur = typeof currency === 'string' ? currency : '';
  let digits = fractionDigits.get(cur);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency: cur }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    fractionDigits.set(cur, digits);
  }
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const whole = Math.floor(abs / 10 ** digits);
  const frac = digits > 0 ? '.' + String(abs % 10 ** digits).padStart(digits, '0') : '';
  return `${sign}${whole}${frac}${cur ? ' ' + cur : ''}`;
}

/** The few payload fields that say what a message is about, as `name=value` text. */
export function keyFields(type: string, payload: unknown): string {
  if (typeof payload !== 'object' || payload === null) return '';
  const p = payload as Record<string, unknown>;
  const q = (v: unknown): string => (typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v));
  const parts: string[] = [];
  const add = (name: string, v: unknown): void => {
    if (v !== undefined && v !== null && v !== '') parts.push(`${name}=${q(v)}`);
  };
  const addMoney = (name: string, minor: unknown, currency: unknown): void => {
    if (minor !== undefined && minor !== null) parts.push(`${name}=${money(minor, currency)}`);
  };
  switch (type) {
    case 'campaign.create.command.v1':
    case 'campaign.created.v1':
      add('campaign', p.campaign_id);
      add('name', p.name);
      add('owner', p.user_id);
      addMoney('budget', p.budget_minor, p.currency);
      break;
    case 'campaign.add_video.command.v1':
    case 'video.added.v1':
      add('campaign', p.campaign_id);
      add('video', p.video_id);
      add('title', p.title);
      break;
    case 'tracking.create_event.command.v1':
    case 'tracking_event.created.v1':
      add('event', p.tracking_event_id);
      add('type', p.event_type);
      add('campaign', p.campaign_id);
      addMoney('sale', p.sale_amount_minor, p.currency);
      break;
    case 'commission.calculate.command.v1':
      add('commission', p.commission_id);
      add('event', p.tracking_event_id);
      add('type', p.event_type);
      break;
    case 'commission.calculated.v1':
      add('commission', p.commission_id);
      addMoney('amount', p.amount_minor, p.currency);
      add('rule', p.rule);
      break;
    case 'payment.process.command.v1':
      add('payment', p.payment_id);
      add('commission', p.commission_id);
      addMoney('amount', p.amount_minor, p.currency);
      break;
    case 'payment.processed.v1':
      add('payment', p.payment_id);
      add('status', p.status);
      addMoney('amount', p.amount_minor, p.currency);
      add('ref', p.provider_reference);
      break;
    case 'command.rejected.v1':
      add('command', p.command_type);
      add('reason', p.reason_code);
      add('message', p.message);
      break;
    default:
      for (const [k, v] of Object.entries(p).slice(0, 3)) if (typeof v !== 'object') add(k, v);
  }
  return parts.join(' ');
}

/** One pretty line: `12:00:01.234 campaign-events campaign.created.v1 wf:1a2b3c4d campaign=… name=…`. */
/** One line per message; with `ref`, ended by the reference `miso send --from` takes back. */
export function prettyLine(m: ShownMessage, color: ChalkInstance, opts: { ref?: boolean } = {}): string {
  const kind = kindOf(m);
  const topic = shortTopicName(m.topic);
  if (!m.envelope) {
    return `${color.dim(clock(m.publishTime))} ${topic.padEnd(18)} ${paint(color, 'undecodable', 'UNDECODABLE'.padEnd(32))} ${m.messageId ?? ''} ${m.error ?? ''}`.trimEnd();
  }
  const env = m.envelope;
  const mark = m.deadLetter ? color.magenta('DLQ ') : m.error ? color.yellow('?? ') : '';
  const fields = m.error ? m.error : keyFields(env.type, env.payload);
  const line =
    `${color.dim(clock(m.publishTime))} ${topic.padEnd(18)} ${mark}${paint(color, kind, env.type.padEnd(32))} ${color.dim('wf:' + shortId(env.correlation_id))} ${fields}`.trimEnd();
  return opts.ref ? `${line}  ${color.dim(`--from ${env.id}`)}` : line;
}

/** The NDJSON form of a message: the envelope (which `miso send` accepts back) plus `meta` about where it was read. */
export function jsonRecord(m: ShownMessage): Record<string, unknown> {
  const meta: Record<string, unknown> = { topic: m.topic, publish_time: new Date(m.publishTime).toISOString() };
  if (m.messageId !== undefined) meta.message_id = m.messageId;
  if (m.key !== undefined) meta.key = m.key;
  if (m.deadLetter) meta.dead_letter = true;
  if (m.error) meta.error = m.error;
  if (!m.envelope) return { meta };
  return { ...m.envelope, meta };
}

let lastIsoMs = NaN;
let lastIso = '';
function iso(ms: number): string {
  // Messages of one batch share a publish time: format it once.
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

// Consecutive messages mostly share topic and publish time (a batch) and often the key.
let headTopic = '';
let headMs = NaN;
let head = '';
function metaHead(topic: string, ms: number): string {
  if (topic !== headTopic || ms !== headMs) {
    headTopic = topic;
    headMs = ms;
    head = `{"topic":${JSON.stringify(topic)},"publish_time":"${iso(ms)}"`;
  }
  return head;
}

let lastKey: string | undefined;
let lastKeyJson = '';
function quotedKey(key: string): string {
  if (key !== lastKey) {
    lastKey = key;
    lastKeyJson = JSON.stringify(key);
  }
  return lastKeyJson;
}

/**
 * `JSON.stringify(jsonRecord(m))`, built without copying the envelope: the hot path of
 * `miso tail --json`. Decoded envelopes hold only JSON-safe values (strings, numbers, null).
 */
export function jsonLine(m: ShownMessage): string {
  let meta = metaHead(m.topic, m.publishTime);
  if (m.messageId !== undefined) meta += `,"message_id":"${m.messageId}"`;
  if (m.key !== undefined) meta += `,"key":${quotedKey(m.key)}`;
  if (m.deadLetter) meta += ',"dead_letter":true';
  if (m.error) meta += `,"error":${JSON.stringify(m.error)}`;
  meta += '}';
  if (!m.envelope) return `{"meta":${meta}}`;
  const env = JSON.stringify(m.envelope);
  return `${env.slice(0, -1)},"meta":${meta}}`;
}

/** Columns for `--table`. */
export const TABLE_HEAD = ['time', 'topic', 'type', 'workflow', 'key', 'details'];
export function tableRow(m: ShownMessage): string[] {
  const env = m.envelope;
  return [
    clock(m.publishTime),
    shortTopicName(m.topic),
    env ? (m.deadLetter ? `DLQ ${env.type}` : env.type) : 'UNDECODABLE',
    env ? shortId(env.correlation_id) : '',
    m.key ?? '',
    env && !m.error ? keyFields(env.type, env.payload) : (m.error ?? ''),
  ];
}
