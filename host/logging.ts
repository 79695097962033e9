// Structured logging (pino) with Fabric's levels and per-module levels. One line per event:
// for a person ("12:00:01.250 NOTICE   [peer] Peer started id=vp0 height=1") or JSON (one object
// per line: level, time, module, msg and the fields). CORE_LOGGING_FORMAT=json|text chooses;
// unset, it is text on a terminal and JSON otherwise. The level spec (logging.level,
// CORE_LOGGING_LEVEL, --logging-level) is Fabric's level name, optionally with module overrides:
// "info", "debug", "warning,pbft=debug,events=debug". Modules: peer, pbft, transport,
// statetransfer, follower, events, security.
import { Writable } from 'node:stream';
import pino, { type Logger as PinoLogger } from 'pino';

export const LEVELS = { critical: 60, error: 50, warning: 40, notice: 35, info: 30, debug: 20 } as const;
export type LevelName = keyof typeof LEVELS;

export interface Logger {
  critical(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  warning(message: string, fields?: Record<string, unknown>): void;
  notice(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  child(module: string): Logger;
  isDebug(): boolean;
}

export type LogFormat = 'json' | 'text';

/** CORE_LOGGING_FORMAT's value, checked ("" or unset: undefined, the default by terminal). */
export function parseLogFormat(text: string | undefined): LogFormat | undefined {
  const value = (text ?? '').trim().toLowerCase();
  if (value === '') return undefined;
  if (value === 'json' || value === 'text') return value;
  throw new Error(`CORE_LOGGING_FORMAT must be json or text, got "${text}"`);
}

export interface LevelSpec {
  default: LevelName;
  modules: Map<string, LevelName>;
}

function levelName(text: string): LevelName {
  const lower = text.trim().toLowerCase();
  // Fabric accepts WARNING; people type warn.
  const name = lower === 'warn' ? 'warning' : lower;
  if (!(name in LEVELS)) throw new Error(`Unknown logging level "${text}": use one of ${Object.keys(LEVELS).join(', ')}`);
  return name as LevelName;
}

export function parseLevelSpec(spec: string): LevelSpec {
  const parts = spec.split(/[,:]/).map((p) => p.trim()).filter(Boolean);
  const result: LevelSpec = { default: 'info', modules: new Map() };
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) result.default = levelName(part);
    else result.modules.set(part.slice(0, eq).trim(), levelName(part.slice(eq + 1)));
  }
  return result;
}

const NAMES_BY_VALUE = new Map<number, string>(Object.entries(LEVELS).map(([name, value]) => [value, name.toUpperCase()]));

/** Formats pino's JSON lines for a person: time, level, module, message, then key=value fields. */
class PrettyStream extends Writable {
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream) {
    super();
    this.#out = out;
  }

  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        const { time, level, module, msg, pid: _pid, hostname: _host, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const stamp = String(time).slice(11, 23);
        // A value with spaces, quotes or "=" is quoted, so a line splits back into its fields.
        const fields = Object.entries(rest)
          .map(([key, value]) => `${key}=${typeof value === 'string' && /^[^\s="]+$/.test(value) ? value : JSON.stringify(value)}`)
          .join(' ');
        const levelText = String(level).toUpperCase().padEnd(8);
        this.#out.write(`${stamp} ${levelText} [${String(module ?? '-')}] ${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`);
      } catch {
        this.#out.write(`${line}\n`);
      }
    }
    callback();
  }
}

class PinoBackedLogger implements Logger {
  /** The root logger: every module's logger is its child, so a line names one module, once. */
  readonly #root: PinoLogger<LevelName>;
  readonly #pino: PinoLogger<LevelName>;
  readonly #spec: LevelSpec;

  constructor(root: PinoLogger<LevelName>, spec: LevelSpec, module: string) {
    this.#root = root;
    this.#spec = spec;
    this.#pino = root.child({ module }, { level: spec.modules.get(module) ?? spec.default });
  }

  #log(level: LevelName, message: string, fields?: Record<string, unknown>): void {
    if (fields) this.#pino[level](fields, message);
    else this.#pino[level](message);
  }

  critical(message: string, fields?: Record<string, unknown>): void { this.#log('critical', message, fields); }
  error(message: string, fields?: Record<string, unknown>): void { this.#log('error', message, fields); }
  warning(message: string, fields?: Record<string, unknown>): void { this.#log('warning', message, fields); }
  notice(message: string, fields?: Record<string, unknown>): void { this.#log('notice', message, fields); }
  info(message: string, fields?: Record<string, unknown>): void { this.#log('info', message, fields); }
  debug(message: string, fields?: Record<string, unknown>): void { this.#log('debug', message, fields); }

  child(module: string): Logger {
    return new PinoBackedLogger(this.#root, this.#spec, module);
  }

  isDebug(): boolean {
    return this.#pino.isLevelEnabled('debug');
  }
}

export interface LoggerOptions {
  /** Level spec, e.g. "info,pbft=debug". */
  level: string;
  /** "json" or "text" (CORE_LOGGING_FORMAT, any case); default: text on a TTY, JSON otherwise. */
  format?: LogFormat | string | undefined;
  /** Where lines go (default stderr). */
  destination?: NodeJS.WritableStream;
  /** Extra fields on every line (e.g. the peer id). */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions, module = 'peer'): Logger {
  const spec = parseLevelSpec(options.level);
  const destination = options.destination ?? process.stderr;
  const format = parseLogFormat(options.format) ?? ((destination as { isTTY?: boolean }).isTTY ? 'text' : 'json');
  const stream = format === 'json' ? destination : new PrettyStream(destination);
  const lowest = Math.min(LEVELS[spec.default], ...[...spec.modules.values()].map((l) => LEVELS[l]));
  const base = pino<LevelName>(
    {
      customLevels: LEVELS,
      useOnlyCustomLevels: true,
      level: NAMES_BY_VALUE.get(lowest)?.toLowerCase() ?? 'info',
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return new PinoBackedLogger(base, spec, module);
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  critical() {},
  error() {},
  warning() {},
  notice() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
  isDebug() {
    return false;
  },
};
