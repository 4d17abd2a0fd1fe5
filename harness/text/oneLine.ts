/**
 * One readable line for any thrown value (no stack). A text helper with no imports, so every
 * layer (history, env, systems, cli, bench) can use it without importing another layer.
 */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim();
}
