/**
 * The one place that reads the process environment. Everything else asks the config
 * resolver, so precedence (flags > env > profile > defaults) is decided once.
 */
export function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** NO_COLOR (https://no-color.org): any non-empty value turns colour off. */
export function noColor(): boolean {
  return env('NO_COLOR') !== undefined;
}
