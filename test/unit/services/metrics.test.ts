import { describe, expect, it } from 'vitest';
import { Registry, ServiceMetrics } from '../../../src/services/host/metrics.js';

describe('prometheus registry', () => {
  it('renders counters, gauges and histograms in the text format', () => {
    const r = new Registry();
    const c = r.counter('jobs_total', 'Jobs done.');
    c.inc({ service: 'payment', type: 'a"b' });
    c.inc({ service: 'payment', type: 'a"b' }, 2);
    r.gauge('depth', 'Queue depth.').set(() => 7);
    const h = r.histogram('latency_seconds', 'Latency.', [0.01, 0.1]);
    h.observe(0.005);
    h.observe(0.05);
    h.observe(2);
    const text = r.render();
    expect(text).toContain('# TYPE jobs_total counter');
    expect(text).toContain('jobs_total{service="payment",type="a\\"b"} 3');
    expect(text).toContain('depth 7');
    expect(text).toContain('latency_seconds_bucket{le="0.01"} 1');
    expect(text).toContain('latency_seconds_bucket{le="0.1"} 2');
    expect(text).toContain('latency_seconds_bucket{le="+Inf"} 3');
    expect(text).toContain('latency_seconds_count 3');
    expect(text).toMatch(/latency_seconds_sum 2\.05/);
  });

  it('service metrics expose the documented names even before any message', () => {
    const text = new ServiceMetrics().registry.render();
    for (const name of ['miso_messages_handled_total', 'miso_messages_rejected_total', 'miso_messages_dead_lettered_total', 'miso_handler_duration_seconds']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });
});
