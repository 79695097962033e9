// A host-detected violation inside a host function: thrown through the guest's frames (the guest
// cannot catch it) and turned into a failed ExecutionResult of its kind. Messages are
// deterministic: they depend only on what the chaincode did.
import type { FailureKind } from './types.ts';

export class HostTrap extends Error {
  override name = 'HostTrap';
  readonly kind: FailureKind;

  constructor(kind: FailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Deterministic messages shared by the raw and component front ends. */
export const TrapMessage = {
  outOfFuel: (limit: number): string => `out of fuel after ${limit} units`,
  depth: 'call depth limit exceeded',
  memory: 'memory limit exceeded',
  tooLarge: (what: string, bytes: number, limitName: string, limit: number): string =>
    `${what} of ${bytes} bytes exceeds ${limitName} (${limit})`,
  outOfBounds: (what: string, ptr: number, len: number, memoryBytes: number): string =>
    `${what} at ${ptr}+${len} is outside guest memory (${memoryBytes} bytes)`,
  invalidUtf8: (what: string): string => `${what} is not valid UTF-8`,
} as const;
