import { Args, Flags, type Interfaces } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { ConnectedCommand } from '../cli/base.js';
import { UsageError } from '../errors.js';
import { fieldTokensOf, prepareBatch, resolveMessageType, specOf, typeChoices, TOPICS, type MessageType } from '../core/catalog/index.js';
import { TimeoutError } from '../errors.js';
import type { Published, WaitResult } from '../core/publisher.js';
import { parseDuration } from '../core/read/duration.js';
import { unansweredCommands } from '../core/read/outcome.js';
import { Publisher, WorkflowWatch, sendAll } from '../core/publisher.js';
import { openPulsar } from '../core/connect.js';
import { findCaptured, resendEnvelope } from '../core/resend.js';
import { renderSendResult, renderWaitLine, progressBar, sendJson } from '../ui/render/send.js';

export default class Send extends ConnectedCommand {
  static override description = 'Send a schema-checked command (or event); --wait prints the events it causes';
  static override examples = [
    '<%= config.bin %> send campaign.create --name "My Campaign" --user-id user123',
    '<%= config.bin %> send tracking.create_event --event-type conversion --campaign-id c1 --video-id v1 --visitor-id u9 --sale-amount-minor 1999 --wait',
    '<%= config.bin %> send campaign.add_video --data \'{"campaign_id":"c1","url":"https://v.example/1","title":"Intro"}\'',
    '<%= config.bin %> send --file commands.ndjson',
    '<%= config.bin %> tail --no-follow --json | <%= config.bin %> send --file -',
    '<%= config.bin %> send tracking.create_event --event-type view --campaign-id c1 --video-id v1 --visitor-id u9 --count 1000 --rate 200',
  ];
  // Payload fields come as --field value pairs generated from the schema (`miso schemas show <type>`).
  static override strict = false;
  // ...and oclif must pass unknown --flags through as arguments instead of refusing them.
  static '--' = false;
  static override args = {
    type: Args.string({ description: 'message type, e.g. campaign.create (see `miso schemas list`)', options: typeChoices(), ignoreStdin: true }),
  };
  static override flags = {
    data: Flags.string({ description: 'the payload (or a whole envelope) as JSON' }),
    file: Flags.string({ description: 'read JSON or NDJSON (one message per line) from a file, `-` for stdin' }),
    'correlation-id': Flags.string({ description: 'join this workflow instead of starting a new one' }),
    'causation-id': Flags.string({ description: 'id of the message that caused this one' }),
    id: Flags.string({ description: 'envelope id (a UUID) instead of a fresh one' }),
    wait: Flags.boolean({ description: 'wait for the events the message causes and print them with their latency' }),
    timeout: Flags.string({ description: 'how long --wait waits', default: '10s' }),
    count: Flags.integer({ description: 'send the message this many times (fresh ids each time)', min: 1, default: 1 }),
    rate: Flags.integer({ description: 'at most this many messages per second', min: 1 }),
    'continue-on-error': Flags.boolean({ description: 'send the valid lines of a batch even if some are invalid' }),
    topic: Flags.string({ description: 'the topic, for a message type that travels on several (command.rejected)', options: [...TOPICS] }),
    from: Flags.string({
      description: 'send again a message from the topics: its id as `miso tail` prints it, a Pulsar message id, or a correlation id with the type as argument',
    }),
    set: Flags.string({ description: 'with --from: change a payload field, field=value (repeatable)', multiple: true }),
    'same-correlation': Flags.boolean({ description: "with --from: join the captured message's workflow instead of starting a new one" }),
    'keep-ids': Flags.boolean({ description: 'with --from: keep the captured id fields (campaign_id of a create…) instead of fresh ones' }),
    since: Flags.string({ description: 'with --from: only look this far back (30m, 7d)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Send);
    if (flags.from) return this.resend({ ...flags, from: flags.from }, args.type);
    if (flags.set?.length || flags['same-correlation'] || flags['keep-ids'])
      throw new UsageError('--set, --same-correlation and --keep-ids go with --from', {
        hint: 'Take a message off the topics with --from <id> (`miso tail` prints the id).',
      });
    const type = args.type ? (resolveMessageType(args.type).type as MessageType) : undefined;
    const known = new Map<string, boolean>();
    const chars = new Map<string, boolean>();
    for (const [name, def] of Object.entries({ ...Send.baseFlags, ...Send.flags })) {
      known.set(name, def.type === 'option');
      if (def.char) chars.set(def.char, def.type === 'option');
    }
    const { tokens: fieldTokens } = fieldTokensOf(this.argv, known, chars);
    let jsonText = flags.data ?? (flags.file ? readInput(flags.file) : undefined);
    // Piped input without fields: the payloads (or envelopes) come on stdin.
    if (jsonText === undefined && !fieldTokens.length && !process.stdin.isTTY) {
      const piped = readInput('-');
      if (piped.trim() !== '' || !type) jsonText = piped;
    }
    const batch = prepareBatch({
      ...(type ? { type } : {}),
      fieldTokens,
      ...(jsonText !== undefined ? { jsonText, jsonSource: flags.data ? '--data' : flags.file === '-' || !flags.file ? 'stdin' : flags.file } : {}),
      ...(flags['correlation-id'] ? { correlationId: flags['correlation-id'] } : {}),
      ...(flags['causation-id'] ? { causationId: flags['causation-id'] } : {}),
      ...(flags.id ? { id: flags.id } : {}),
      count: flags.count,
    });
    if (batch.errors.length && (!flags['continue-on-error'] || !batch.messages.length)) {
      const first = batch.errors[0]!;
      const more = batch.errors.length > 1 ? ` (and ${batch.errors.length - 1} more problem${batch.errors.length > 2 ? 's' : ''})` : '';
      throw new UsageError(`${first.message}${more}`, {
        hint: batch.messages.length
          ? 'Nothing was sent. Fix the line, or pass --continue-on-error to send the valid lines.'
          : `Nothing was sent. See the fields with \`miso schemas show ${type ? resolveMessageType(type).short : '<type>'}\`.`,
      });
    }
    for (const e of batch.errors) this.out.info(`skipped ${e.message}`);
    if (flags.topic) for (const m of batch.messages) m.topic ??= flags.topic;

    const cfg = this.settingsFrom(flags);
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    await this.sendAndWait(pulsar, cfg, batch.messages, flags);
  }

  /** `--from`: the captured message with its overrides, sent like any other. */
  private async resend(flags: SendFlags & { from: string }, type: string | undefined): Promise<void> {
    const cfg = this.settingsFrom(flags);
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    let envelope;
    let topic: string | undefined;
    try {
      const captured = await findCaptured(pulsar.client, cfg, {
        ref: flags.from,
        ...(type ? { type } : {}),
        ...(flags.since ? { since: Date.now() - parseDuration(flags.since) } : {}),
      });
      envelope = resendEnvelope(captured.envelope!, {
        ...(flags.set ? { set: flags.set } : {}),
        sameCorrelation: flags['same-correlation'],
        keepIds: flags['keep-ids'],
        ...(flags.id ? { id: flags.id } : {}),
      });
      // An event that travels on several topics (a rejection) goes back where it was read.
      topic = specOf(envelope.type)?.topics.length !== 1 && !captured.deadLetter ? captured.topic : undefined;
      if (!this.out.json)
        this.out.info(
          this.out.color.dim(`from ${captured.envelope!.type} ${captured.envelope!.id} (${captured.topic.split('/').pop()} ${captured.messageId})`),
        );
    } catch (err) {
      await pulsar.close();
      throw err;
    }
    await this.sendAndWait(pulsar, cfg, [{ envelope, ...(topic ? { topic } : {}) }], flags);
  }

  private async sendAndWait(
    pulsar: ReturnType<typeof openPulsar>,
    cfg: ReturnType<Send['settingsFrom']>,
    messages: Parameters<typeof sendAll>[1],
    flags: { rate?: number | undefined; wait: boolean; timeout: string },
  ): Promise<void> {
    const batch = { messages };
    const client = pulsar.client;
    const publisher = new Publisher(client, cfg, { batching: batch.messages.length > 1 });
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    try {
      const watch = flags.wait ? await WorkflowWatch.open(client, cfg) : undefined;
      const showProgress = batch.messages.length > 1 && process.stderr.isTTY;
      const sent = await sendAll(publisher, batch.messages, {
        ...(flags.rate ? { rate: flags.rate } : {}),
        ...(showProgress ? { onProgress: (p) => process.stderr.write(progressBar(p)) } : {}),
      });
      if (showProgress) process.stderr.write('\n');
      if (!this.out.json) renderSendResult(sent, this.out);
      if (!watch) {
        if (this.out.json) this.out.data(sendJson(sent));
        return;
      }
      const started = new Map(sent.map((s) => [s.id, s]));
      const result = await watch.collect(sent, {
        timeoutMs,
        onMessage: (m, trace) => {
          if (!this.out.json && !started.has(m.envelope!.id)) this.out.line(renderWaitLine(m, trace, this.out.color));
        },
      });
      await watch.close();
      if (this.out.json) this.out.data(sendJson(sent, result));
      else if (result.complete) this.out.line(this.out.color.green(`✔ done in ${Math.max(...result.traces.map((t) => t.durationMs))} ms`));
      if (!result.complete) throw waitTimeout(sent, result, flags.timeout);
    } finally {
      await publisher.close();
      await pulsar.close();
    }
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const typed = /Expected (.+?) to be one of/.exec(String(err.message))?.[1];
    if (typed !== undefined) {
      try {
        resolveMessageType(typed);
      } catch (better) {
        return super.catch(better as Error);
      }
    }
    return super.catch(err);
  }
}

type SendFlags = Interfaces.InferredFlags<typeof Send.flags & typeof Send.baseFlags>;

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file === '-' ? 'stdin' : file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'Check the path given to --file.',
    });
  }
}

/** The workflow did not finish in time: say which command got no answer and who should have answered. */
function waitTimeout(sent: readonly Published[], result: WaitResult, timeout: string): TimeoutError {
  const pending = result.traces.flatMap(unansweredCommands);
  const missing = sent.filter((s) => !result.messages.some((m) => m.envelope?.id === s.id));
  const first = pending[0]?.message ?? (missing[0] ? { type: missing[0].type, id: missing[0].id } : undefined);
  const owner = first ? specOf(first.type)?.owner : undefined;
  const what = first ? `${first.type} ${first.id}` : 'the workflow';
  return new TimeoutError(
    `no answer to ${what} within ${timeout}${result.messages.length > sent.length - missing.length ? ' (the workflow started but did not finish)' : ''}`,
    {
      hint:
        owner && owner !== 'any'
          ? `Is the ${owner} service running? Start it with \`miso run ${owner}\`, or wait longer with --timeout 30s.`
          : 'Wait longer with --timeout 30s.',
    },
  );
}
