/**
 * Flow files on disk for the commands: read and check them all before anything is sent,
 * verify them one after the other, write a report.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../../errors.js';
import type { PulsarClient } from '../../pulsar/index.js';
import { parseFlow, type Flow } from './format.js';
import { verifyFlow, type FlowVerdict, type VerifyOptions } from './run.js';

export interface LoadedFlow {
  file: string;
  flow: Flow;
}

/** Every file parsed and checked; the first bad one throws a UsageError naming it. */
export function loadFlowFiles(files: readonly string[]): LoadedFlow[] {
  if (files.length === 0) throw new UsageError('no flow file given', { hint: 'Pass the files: `miso flow verify flows/*.json`.' });
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read flow file ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`, {
        hint: 'Check the path; record a flow with `miso flow record <correlation-id> --out <file>`.',
      });
    }
    return { file, flow: parseFlow(text, file) };
  });
}

export async function verifyFlowFiles(
  client: PulsarClient,
  scope: { tenant: string; namespace: string },
  flows: readonly LoadedFlow[],
  opts: VerifyOptions & { onStart?: (file: string) => void; onDone?: (result: { file: string; verdict: FlowVerdict }) => void },
): Promise<{ file: string; verdict: FlowVerdict }[]> {
  const out: { file: string; verdict: FlowVerdict }[] = [];
  for (const { file, flow } of flows) {
    if (opts.signal?.aborted) break;
    opts.onStart?.(file);
    const result = { file, verdict: await verifyFlow(client, scope, flow, opts) };
    opts.onDone?.(result);
    out.push(result);
  }
  return out;
}

export function writeReport(file: string, text: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (err) {
    throw new UsageError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { hint: 'Pick a writable path for --junit.' });
  }
}
