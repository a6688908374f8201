/**
 * A shell completion script for `miso`, generated from the commands themselves: command and
 * topic words, each command's flags, and the values its first argument accepts (so
 * `miso send <TAB>` offers the message types). Everything is written into the script, so a
 * TAB never starts a process.
 */
export interface CompletionCommand {
  /** Space-separated, e.g. "broker up". */
  id: string;
  flags: readonly string[];
  /** Values of the first argument (message types for `send`), if it has a fixed set. */
  argOptions: readonly string[];
}

export function bashCompletion(commands: readonly CompletionCommand[], bin = 'miso'): string {
  const fn = `_${bin.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  // Longest ids first: "broker up" must win over a command named "broker".
  const byLength = [...commands].sort((a, b) => b.id.split(' ').length - a.id.split(' ').length || a.id.localeCompare(b.id));
  const commandCases = byLength.map((c) => {
    const words = [...c.flags.map((f) => `--${f}`), ...c.argOptions].join(' ');
    return `    "${c.id}"|"${c.id} "*) opts="${words}" ;;`;
  });
  // The next word after a partial command ("" → top-level words, "broker" → up down …).
  const next = new Map<string, Set<string>>();
  for (const c of commands) {
    const parts = c.id.split(' ');
    for (let i = 0; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join(' ');
      if (!next.has(prefix)) next.set(prefix, new Set());
      next.get(prefix)!.add(parts[i]!);
    }
  }
  const prefixCases = [...next.entries()]
    .sort((a, b) => b[0].length - a[0].length)
    .map(([prefix, words]) => `    "${prefix}") opts="${[...words].sort().join(' ')}" ;;`);
  return [
    `# ${bin} completion for bash (zsh: autoload -U +X bashcompinit && bashcompinit, then source this)`,
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}"',
    '  local typed="${COMP_WORDS[*]:1:COMP_CWORD-1}"',
    '  local opts=""',
    '  case "$typed" in',
    ...commandCases,
    '  esac',
    '  if [ -z "$opts" ]; then',
    '    case "$typed" in',
    ...prefixCases.map((l) => '  ' + l),
    '    esac',
    '  fi',
    '  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )',
    '}',
    `complete -F ${fn} ${bin}`,
    '',
  ].join('\n');
}
