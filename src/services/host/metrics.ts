/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (version 0.0.4). Enough for `/metrics` of a service; no dependency.
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}

interface Metric {
  render(): string[];
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${fmt(v)}`);
    return lines;
  }
}

export class Gauge implements Metric {
  private readonly values = new Map<string, number | (() => number)>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  set(value: number | (() => number), labels: Labels = {}): void {
    this.values.set(labelKey(labels), value);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${fmt(typeof v === 'function' ? v() : v)}`);
    return lines;
  }
}

/** Handler latency and the like, in seconds (Prometheus convention). */
export class Histogram implements Metric {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number; labels: Labels }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ) {}

  observe(value: number, labels: Labels = {}): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0, labels };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  count(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      for (let i = 0; i < this.buckets.length; i++) {
        lines.push(`${this.name}_bucket{${labelKey({ ...s.labels, le: fmt(this.buckets[i]!) })}} ${s.counts[i]}`);
      }
      lines.push(`${this.name}_bucket{${labelKey({ ...s.labels, le: '+Inf' })}} ${s.count}`);
      const k = labelKey(s.labels);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${fmt(s.sum)}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  /** Labels every series carries (the instance id, so instances of one service stay apart). */
  constLabels: Labels = {};

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }

  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  private add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }

  /** The exposition text, `Content-Type: text/plain; version=0.0.4`. */
  render(): string {
    const extra = labelKey(this.constLabels);
    const lines = this.metrics.flatMap((m) => m.render());
    const labelled = extra
      ? lines.map((l) =>
          l.startsWith('#')
            ? l
            : l.replace(/^([A-Za-z_:][\w:]*)(?:\{(.*)\})? /, (_m, name: string, inner: string | undefined) => `${name}{${inner ? `${inner},` : ''}${extra}} `),
        )
      : lines;
    return labelled.join('\n') + '\n';
  }
}

/** The metrics every service exposes; `service` is a label so `miso run all` serves one registry per service. */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly handled: Counter;
  readonly rejected: Counter;
  readonly deadLettered: Counter;
  readonly retried: Counter;
  readonly duplicates: Counter;
  readonly published: Counter;
  readonly latency: Histogram;
  readonly publishDelay: Histogram;
  readonly deliveryDelay: Histogram;
  readonly outboxDepth: Gauge;
  readonly brokerConnected: Gauge;
  readonly outboxSlicesHeld: Gauge;
  readonly instanceInfo: Gauge;

  constructor() {
    const r = this.registry;
    this.handled = r.counter('miso_messages_handled_total', 'Messages handled (commands accepted and events consumed), by service and type.');
    this.rejected = r.counter('miso_messages_rejected_total', 'Commands refused by validation and answered with a rejection event.');
    this.deadLettered = r.counter('miso_messages_dead_lettered_total', 'Messages sent to the dead-letter topic (undecodable, or out of retries).');
    this.retried = r.counter('miso_messages_retried_total', 'Transient failures answered with a negative acknowledgement (to be redelivered).');
    this.duplicates = r.counter('miso_messages_duplicate_total', 'Redelivered messages recognised as already processed and acknowledged again.');
    this.published = r.counter('miso_outbox_published_total', 'Outbox messages persisted by the broker, by topic.');
    this.latency = r.histogram('miso_handler_duration_seconds', 'Time to handle one message, from receipt to commit.');
    this.publishDelay = r.histogram('miso_outbox_publish_delay_seconds', 'Time from the commit that wrote an outbox message to the broker confirming it.');
    this.deliveryDelay = r.histogram(
      'miso_delivery_delay_seconds',
      'Time from a message being published to its handling starting here (broker persistence, dispatch, queueing).',
    );
    this.outboxDepth = r.gauge('miso_outbox_depth', 'Messages written but not yet published.');
    this.brokerConnected = r.gauge('miso_broker_connected', '1 when the service holds a broker connection.');
    this.instanceInfo = r.gauge('miso_instance_info', 'Always 1; labels name this instance of the service.');
    this.outboxSlicesHeld = r.gauge('miso_outbox_slices_held', 'Outbox slices this instance holds the lease of (publishes).');
  }
}
