import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { bashCompletion } from '../../../src/ui/completion.js';

const commands = [
  { id: 'broker up', flags: ['port', 'web-port'], argOptions: [] },
  { id: 'broker down', flags: [], argOptions: [] },
  { id: 'send', flags: ['wait', 'json'], argOptions: ['campaign.create', 'campaign.add_video', 'tracking.create_event'] },
  { id: 'tail', flags: ['since'], argOptions: [] },
];

/** What bash offers for the words typed so far (the last one is the word being completed). */
function complete(...words: string[]): string[] {
  const script = `${bashCompletion(commands)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_miso_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('bash completion script', () => {
  it('offers top-level words, then the commands under a topic', () => {
    expect(complete('miso', '')).toEqual(['broker', 'send', 'tail']);
    expect(complete('miso', 'br')).toEqual(['broker']);
    expect(complete('miso', 'broker', '')).toEqual(['down', 'up']);
  });

  it('completes message types after send, and each command its own flags', () => {
    expect(complete('miso', 'send', 'campaign.')).toEqual(['campaign.create', 'campaign.add_video']);
    expect(complete('miso', 'send', 'tracking.create_event', '--w')).toEqual(['--wait']);
    expect(complete('miso', 'broker', 'up', '--')).toEqual(['--port', '--web-port']);
  });
});
