/** `miso config list | get` as text. Values arrive masked (tokens) from the commands. */

export interface ProfileListing {
  name: string;
  current: boolean;
  settings: Record<string, unknown>;
}

export function profileListLines(profiles: readonly ProfileListing[]): string[] {
  if (!profiles.length) return ['No profiles yet. `miso broker up` creates "local"; `miso config set serviceUrl <url> --profile <name>` creates any other.'];
  const lines: string[] = [];
  for (const p of profiles) {
    lines.push(`${p.current ? '*' : ' '} ${p.name}`);
    for (const [k, v] of Object.entries(p.settings)) lines.push(`    ${k} = ${String(v)}`);
  }
  return lines;
}

/** Each setting in effect with where it came from (flag, env, profile, default). */
export function settingsLines(profile: string | undefined, values: Record<string, unknown>, sources: Record<string, string | undefined>): string[] {
  return [
    `profile: ${profile ?? '(none)'}`,
    ...Object.entries(values).map(([k, v]) => `  ${k.padEnd(18)} ${String(v ?? '-').padEnd(40)} (${sources[k] ?? 'default'})`),
  ];
}
