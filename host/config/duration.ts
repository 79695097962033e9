// Go-style durations ("1s", "500ms", "1m30s", "2h"), as Fabric's YAML and CORE_* variables write them.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds of a Go duration; a bare number is taken as milliseconds. Throws on anything else. */
export function parseDurationMs(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new Error(`Invalid duration ${text}`);
    return text;
  }
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  let position = 0;
  while (position < trimmed.length) {
    PART.lastIndex = position;
    const match = PART.exec(trimmed);
    if (!match) throw new Error(`Invalid duration "${text}": expected e.g. 500ms, 2s, 1m30s`);
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    position = PART.lastIndex;
  }
  if (position === 0 || !Number.isFinite(total)) throw new Error(`Invalid duration "${text}": expected e.g. 500ms, 2s, 1m30s`);
  return total;
}
