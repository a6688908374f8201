import { describe, expect, it } from 'vitest';
import { buildTrace, type TraceMessage } from '../../../src/core/trace.js';
import { budgetOf, carriedFields, flowFromTrace } from '../../../src/core/flow/record.js';
import { fillPlaceholders, flowText, parseFlow, placeholdersOf, type Flow } from '../../../src/core/flow/format.js';
import { compareFlow } from '../../../src/core/flow/compare.js';
import { junitXml, renderVerify, verifyJson } from '../../../src/ui/render/flow.js';
import { UsageError } from '../../../src/errors.js';
import { Chalk } from 'chalk';

/**
 * One run of the click chain as the topics would show it: every id and time derived from
 * `tag` and `t0`, so two runs differ in everything a flow must ignore.
 */
function clickRun(
  tag: string,
  t0: number,
  over: { amount?: number; skipPayment?: boolean; paymentType?: string; extra?: boolean; slowMs?: number } = {},
): { messages: TraceMessage[]; corr: string; roots: string[] } {
  const corr = `corr-${tag}`;
  const camp = `camp-${tag}`;
  const video = `video-${tag}`;
  const te = `te-${tag}`;
  const comm = `comm-${tag}`;
  const amount = over.amount ?? 25;
  const at = (i: number, topic: string) => ({
    correlationId: corr,
    timestamp: t0 + i * 10,
    publishTime: t0 + i * 10,
    topic: `persistent://t-${tag}/ns/${topic}`,
  });
  const m: TraceMessage[] = [
    {
      id: `${tag}-1`,
      type: 'campaign.create.command.v1',
      causationId: null,
      ...at(0, 'campaign-commands'),
      payload: { campaign_id: camp, user_id: 'owner-1', name: 'Spring', description: null, budget_minor: null, currency: 'USD' },
    },
    {
      id: `${tag}-2`,
      type: 'campaign.created.v1',
      causationId: `${tag}-1`,
      ...at(1, 'campaign-events'),
      payload: { campaign_id: camp, user_id: 'owner-1', name: 'Spring', description: null, budget_minor: null, currency: 'USD' },
    },
    {
      id: `${tag}-3`,
      type: 'campaign.add_video.command.v1',
      causationId: null,
      ...at(10, 'campaign-commands'),
      payload: { campaign_id: camp, video_id: video, url: 'https://v.example/1', title: 'Intro' },
    },
    {
      id: `${tag}-4`,
      type: 'video.added.v1',
      causationId: `${tag}-3`,
      ...at(11, 'campaign-events'),
      payload: { campaign_id: camp, video_id: video, url: 'https://v.example/1', title: 'Intro' },
    },
    {
      id: `${tag}-5`,
      type: 'tracking.create_event.command.v1',
      causationId: null,
      ...at(20, 'tracking-commands'),
      payload: { tracking_event_id: te, event_type: 'click', campaign_id: camp, video_id: video, visitor_id: 'v-1', sale_amount_minor: null, currency: 'USD' },
    },
    {
      id: `${tag}-6`,
      type: 'tracking_event.created.v1',
      causationId: `${tag}-5`,
      ...at(21, 'tracking-events'),
      payload: { tracking_event_id: te, campaign_id: camp, event_type: 'click' },
    },
    {
      id: `${tag}-7`,
      type: 'commission.calculate.command.v1',
      causationId: `${tag}-6`,
      ...at(22, 'commission-commands'),
      payload: { commission_id: comm, tracking_event_id: te, campaign_id: camp },
    },
    {
      id: `${tag}-8`,
      type: 'commission.calculated.v1',
      causationId: `${tag}-7`,
      ...at(23, 'commission-events'),
      payload: { commission_id: comm, amount_minor: 25, user_id: 'owner-1' },
    },
  ];
  if (!over.skipPayment) {
    const late = over.slowMs ?? 10;
    m.push({
      id: `${tag}-9`,
      type: over.paymentType ?? 'payment.process.command.v1',
      causationId: `${tag}-8`,
      correlationId: corr,
      timestamp: t0 + 230 + late,
      publishTime: t0 + 230 + late,
      topic: `persistent://t-${tag}/ns/payment-commands`,
      payload: { commission_id: comm, amount_minor: amount, user_id: 'owner-1' },
    });
  }
  if (over.extra)
    m.push({ id: `${tag}-x`, type: 'command.rejected.v1', causationId: `${tag}-7`, ...at(24, 'commission-events'), payload: { command_id: `${tag}-7` } });
  return { messages: m, corr, roots: [`${tag}-1`, `${tag}-3`, `${tag}-5`] };
}

function recorded(): Flow {
  const run = clickRun('rec', 1_000_000);
  return flowFromTrace(buildTrace(run.corr, run.messages), { name: 'click' });
}

function verifyRun(flow: Flow, over: Parameters<typeof clickRun>[2] = {}) {
  const run = clickRun('run', 5_000_000, over);
  return compareFlow(flow, buildTrace(run.corr, run.messages), run.roots);
}

describe('flow record (pure)', () => {
  it('keeps types, topics and cause → effect, and no id or time of the run', () => {
    const flow = recorded();
    expect(flow.nodes.map((n) => `${n.id}@${n.topic}`)).toEqual([
      'campaign.create.command.v1@campaign-commands',
      'campaign.created.v1@campaign-events',
      'campaign.add_video.command.v1@campaign-commands',
      'video.added.v1@campaign-events',
      'tracking.create_event.command.v1@tracking-commands',
      'tracking_event.created.v1@tracking-events',
      'commission.calculate.command.v1@commission-commands',
      'commission.calculated.v1@commission-events',
      'payment.process.command.v1@payment-commands',
    ]);
    expect(flow.hops.map((h) => `${h.from} → ${h.to}`)).toContain('commission.calculated.v1 → payment.process.command.v1');
    expect(flow.roots.map((r) => r.node)).toEqual(['campaign.create.command.v1', 'campaign.add_video.command.v1', 'tracking.create_event.command.v1']);
    const text = flowText(flow);
    for (const leaked of ['rec-', 'corr-rec', 'camp-rec', '1000000', '1000010']) expect(text).not.toContain(leaked);
  });

  it('is the same file for two runs with different ids, times and arrival order', () => {
    const a = clickRun('aaa', 1_000_000);
    const b = clickRun('bbb', 9_000_000);
    const one = flowText(flowFromTrace(buildTrace(a.corr, a.messages), { name: 'click' }));
    const two = flowText(flowFromTrace(buildTrace(b.corr, [...b.messages].reverse()), { name: 'click' }));
    expect(two).toBe(one);
  });

  it('turns generated ids into placeholders, the same one wherever the id is referenced', () => {
    const flow = recorded();
    const [create, add, track] = flow.roots;
    expect(create!.payload.campaign_id).toBe('{{campaign_id}}');
    expect(add!.payload).toMatchObject({ campaign_id: '{{campaign_id}}', video_id: '{{video_id}}' });
    expect(track!.payload).toMatchObject({
      campaign_id: '{{campaign_id}}',
      video_id: '{{video_id}}',
      tracking_event_id: '{{tracking_event_id}}',
      visitor_id: 'v-1',
    });
    const filled = fillPlaceholders(
      track!.payload,
      new Map([
        ['campaign_id', 'C'],
        ['video_id', 'V'],
        ['tracking_event_id', 'T'],
      ]),
    );
    expect(filled).toMatchObject({ campaign_id: 'C', video_id: 'V', tracking_event_id: 'T', visitor_id: 'v-1' });
    expect([...placeholdersOf(flow.roots.map((r) => r.payload))].sort()).toEqual(['campaign_id', 'tracking_event_id', 'video_id']);
  });

  it('records the fields that carry over, by path, including renamed ones and the envelope id', () => {
    expect(
      carriedFields(
        { id: 'c-1', type: 'x.command.v1', payload: { a: 'same', n: 5, flag: true, none: null, nested: { k: 'deep' } } },
        { payload: { a: 'same', b: 5, flag: true, none: null, other: 'deep', about: 'c-1', fresh: 'new' } },
      ),
    ).toEqual({ a: 'a', b: 'n', other: 'nested.k', about: '$id' });
    const hop = recorded().hops.find((h) => h.to === 'payment.process.command.v1')!;
    expect(hop.carries).toEqual({ amount_minor: 'amount_minor', commission_id: 'commission_id', user_id: 'user_id' });
  });

  it('budgets hops at max(observed × headroom, floor), rounded up to 50 ms', () => {
    expect(budgetOf(3)).toBe(1000);
    expect(budgetOf(400)).toBe(2000);
    expect(budgetOf(401)).toBe(2050);
    expect(budgetOf(30, { headroom: 5, floorMs: 100 })).toBe(150);
  });

  it('refuses a workflow whose first message names a cause that was not read', () => {
    const run = clickRun('cut', 1_000_000);
    expect(() => flowFromTrace(buildTrace(run.corr, run.messages.slice(5)), { name: 'x' })).toThrow(/whose cause was not found/);
    expect(() => flowFromTrace(buildTrace('nothing', []), { name: 'x' })).toThrow(/has no messages/);
  });
});

describe('flow files', () => {
  it('reads back what it writes', () => {
    const flow = recorded();
    expect(parseFlow(flowText(flow), 'click.json')).toEqual(JSON.parse(flowText(flow)));
  });

  const bad = (mutate: (f: Record<string, any>) => void): string => {
    const f = JSON.parse(flowText(recorded()));
    mutate(f);
    return JSON.stringify(f);
  };
  it.each([
    ['not JSON', '{"format": "miso-flow",', /x\.json is not a flow file: not JSON/],
    ['another JSON document', '[1, 2]', /expected a JSON object/],
    [
      'another format',
      bad((f) => {
        f.format = 'har';
      }),
      /"format" is "har", expected "miso-flow"/,
    ],
    [
      'a newer version',
      bad((f) => {
        f.version = 2;
      }),
      /flow format version 2 is not supported \(this miso reads version 1\)/,
    ],
    [
      'no hops',
      bad((f) => {
        delete f.hops;
      }),
      /"hops" is missing/,
    ],
    [
      'no roots',
      bad((f) => {
        f.roots = [];
      }),
      /"roots" is empty/,
    ],
    [
      'an unknown type',
      bad((f) => {
        f.nodes[1].type = 'campaign.made.v9';
      }),
      /nodes\[1\]\.type "campaign\.made\.v9" is not a message type/,
    ],
    [
      'a hop to nowhere',
      bad((f) => {
        f.hops[0].to = 'ghost';
      }),
      /hops\[0\]\.to "ghost" is not a node/,
    ],
    [
      'a hop without budget',
      bad((f) => {
        delete f.hops[2].budgetMs;
      }),
      /hops\[2\]\.budgetMs is missing/,
    ],
    [
      'a root payload the schema refuses',
      bad((f) => {
        f.roots[0].payload.user_id = 42;
      }),
      /roots\[0\]\.payload does not fit campaign\.create\.command\.v1/,
    ],
    [
      'a node with no cause',
      bad((f) => {
        f.hops.splice(0, 1);
      }),
      /node "campaign\.created\.v1" has no cause and is not a root/,
    ],
  ])('refuses %s with one line naming the file', (_what, text, expected) => {
    let err: unknown;
    try {
      parseFlow(text, 'x.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(expected);
    expect((err as UsageError).message).not.toContain('\n');
    expect((err as UsageError).hint).toMatch(/miso flow record/);
  });
});

describe('flow compare (pure)', () => {
  it('a run with other ids and times passes', () => {
    const c = verifyRun(recorded());
    expect(c.failures).toEqual([]);
    expect(c).toMatchObject({ expected: 9, matched: 9, observedHops: 6 });
  });

  it('a hop that did not happen is missing, named by its hop', () => {
    const c = verifyRun(recorded(), { skipPayment: true });
    expect(c.failures).toEqual([
      {
        kind: 'missing',
        hop: 'commission.calculated.v1 → payment.process.command.v1',
        message: 'commission.calculated.v1 → payment.process.command.v1: missing',
      },
    ]);
    expect(c.matched).toBe(8);
  });

  it('a command nothing answered says which service to look at', () => {
    const run = clickRun('run', 5_000_000);
    const c = compareFlow(
      recorded(),
      buildTrace(
        run.corr,
        run.messages.filter((m) => Number(m.id.split('-')[1]) <= 5),
      ),
      run.roots,
    );
    expect(c.failures.map((f) => f.message)).toEqual([
      'tracking.create_event.command.v1 → tracking_event.created.v1: missing (nothing came back from the tracking service: is it running?)',
    ]);
  });

  it('an effect of another type is a different type', () => {
    const c = verifyRun(recorded(), { paymentType: 'command.rejected.v1' });
    expect(c.failures.map((f) => f.message)).toEqual(['commission.calculated.v1 → payment.process.command.v1: different type: got command.rejected.v1']);
  });

  it('an effect the flow does not have is an extra hop', () => {
    const c = verifyRun(recorded(), { extra: true });
    expect(c.failures.map((f) => f.message)).toEqual(['commission.calculate.command.v1 → command.rejected.v1: extra hop, not in the flow']);
  });

  it('a field that stops carrying over is named with both values', () => {
    const c = verifyRun(recorded(), { amount: 26 });
    expect(c.failures.map((f) => f.message)).toEqual([
      'commission.calculated.v1 → payment.process.command.v1: amount_minor no longer carries over (cause 25, effect 26)',
    ]);
  });

  it('a hop over its budget fails; within it passes', () => {
    expect(verifyRun(recorded(), { slowMs: 900 }).failures).toEqual([]);
    const c = verifyRun(recorded(), { slowMs: 1100 });
    expect(c.failures.map((f) => f.message)).toEqual(['commission.calculated.v1 → payment.process.command.v1: took 1100 ms, over its budget of 1000 ms']);
  });

  it('a root sent but never read back fails as such', () => {
    const run = clickRun('run', 5_000_000);
    const c = compareFlow(
      recorded(),
      buildTrace(
        run.corr,
        run.messages.filter((m) => !m.id.endsWith('-1') && !m.id.endsWith('-2')),
      ),
      run.roots,
    );
    expect(c.failures.map((f) => f.message)).toEqual(['campaign.create.command.v1: sent, but not read back from campaign-commands']);
  });

  it('counts only the roots asked for (how verify knows a chain is complete)', () => {
    const run = clickRun('run', 5_000_000);
    const firstTwo = run.messages.filter((m) => Number(m.id.split('-')[1]) <= 4);
    expect(compareFlow(recorded(), buildTrace(run.corr, firstTwo), run.roots.slice(0, 2), { rootCount: 2 })).toMatchObject({
      expected: 4,
      matched: 4,
      failures: [],
    });
  });
});

describe('flow reports', () => {
  const verdict = (name: string, failures: { kind: any; hop: string; message: string }[]) => ({
    file: `flows/${name}.json`,
    verdict: {
      name,
      ok: failures.length === 0,
      failures,
      correlationId: `wf-${name}`,
      expected: 9,
      matched: 9 - failures.length,
      durationMs: 1500,
      slowestMs: 40,
    },
  });
  const results = [
    verdict('click', []),
    verdict('broken', [
      {
        kind: 'missing',
        hop: 'commission.calculated.v1 → payment.process.command.v1',
        message: 'commission.calculated.v1 → payment.process.command.v1: missing',
      },
      { kind: 'carry', hop: 'a → b', message: 'a → b: x no longer carries over (cause "<&>", effect absent)' },
    ]),
  ];

  it('JUnit XML: one test case per flow, the failures of a flow in its <failure>, text escaped', () => {
    const xml = junitXml(results);
    expect(xml).toMatch(/<testsuites name="miso flow verify" tests="2" failures="1"/);
    expect(xml).toContain('<testcase classname="flows" name="click" file="flows/click.json" time="1.500"/>');
    expect(xml).toContain('<failure message="commission.calculated.v1 → payment.process.command.v1: missing (and 1 more)" type="missing">');
    expect(xml).toContain('cause &quot;&lt;&amp;&gt;&quot;');
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml.match(/<failure /g)).toHaveLength(1);
  });

  it('human lines and JSON name each failing hop', () => {
    const lines = renderVerify(results, new Chalk({ level: 0 }));
    expect(lines).toContain('    ✘ commission.calculated.v1 → payment.process.command.v1: missing');
    expect(lines.at(-1)).toBe('2 flows: 1 passed, 1 failed');
    expect(verifyJson(results)).toMatchObject({
      ok: false,
      flows: [
        { name: 'click', ok: true },
        { name: 'broken', ok: false, failures: [{ kind: 'missing' }, { kind: 'carry' }] },
      ],
    });
  });
});
