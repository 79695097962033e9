// Fabric's chaincode logging (shim.NewLogger, SetLevel, IsEnabledFor, LogLevel) over the host's
// `log` call. Lines are not consensus state; the host caps them per transaction and charges fuel
// per byte, so the level check happens here, before any string is built or sent.
import { log } from "./env";
import { LogLevel, SdkError } from "./codes";
import { Result, StubError } from "./result";
import { utf8 } from "./bytes";

/** The level new loggers start with (Fabric's chaincode default is INFO). */
let defaultLevel: i32 = LogLevel.INFO;

/** Fabric's shim.SetLoggingLevel: the level of the shim's logger and of loggers created afterwards. */
export function setLoggingLevel(level: i32): void {
  defaultLevel = level;
}

const LEVEL_NAMES: StaticArray<string> = ["CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"];

function asciiUpper(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 0x61 && c <= 0x7A ? c - 32 : c);
  }
  return out;
}

/** Fabric's shim.LogLevel: a case-insensitive level name; on error the value is ERROR. */
export function logLevel(name: string): Result<i32> {
  const upper = asciiUpper(name);
  for (let i = 0; i < LEVEL_NAMES.length; i++) {
    if (unchecked(LEVEL_NAMES[i]) == upper) return new Result<i32>(i);
  }
  return new Result<i32>(LogLevel.ERROR, new StubError("logger: invalid log level", SdkError.INVALID));
}

/** Fabric's ChaincodeLogger: a named logger with its own level. */
export class Logger {
  private level: i32;

  constructor(public readonly name: string) {
    this.level = defaultLevel;
  }

  setLevel(level: i32): void {
    this.level = level;
  }

  /** True if a line at `level` would be written (CRITICAL always is). */
  isEnabledFor(level: i32): bool {
    return level <= this.level || level == LogLevel.CRITICAL;
  }

  private write(level: i32, message: string): void {
    if (!this.isEnabledFor(level)) return;
    const line = utf8(this.name.length > 0 ? "[" + this.name + "] " + message : message);
    log(level, line.dataStart, line.length);
  }

  critical(message: string): void { this.write(LogLevel.CRITICAL, message); }
  error(message: string): void { this.write(LogLevel.ERROR, message); }
  warning(message: string): void { this.write(LogLevel.WARNING, message); }
  notice(message: string): void { this.write(LogLevel.NOTICE, message); }
  info(message: string): void { this.write(LogLevel.INFO, message); }
  debug(message: string): void { this.write(LogLevel.DEBUG, message); }
}

/** Fabric's shim.NewLogger. */
export function newLogger(name: string): Logger {
  return new Logger(name);
}
