/**
 * Secrets (tokens) known to this process. Everything miso prints passes through `redact`,
 * so a token never reaches a terminal, a log or an error message, whatever path it took.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

/** `eyJhbGciOi…` → `eyJh…(redacted, 212 chars)`: enough to tell tokens apart, never enough to use one. */
export function mask(value: string | undefined): string {
  if (!value) return '(none)';
  if (value.length <= 8) return '****';
  return `${value.slice(0, 4)}…(redacted, ${value.length} chars)`;
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(mask(s));
  }
  return out;
}
