// The error of a chaincode module that cannot be deployed. Its message is deterministic (it
// depends only on the module's bytes and the pinned toolchain), because it becomes the recorded
// result of a rejected deploy transaction on every peer.

export class PrepareError extends Error {
  override name = 'PrepareError';

  constructor(reason: string) {
    super(`invalid chaincode module: ${reason}`);
  }
}

/** Longest function or export name quoted in a message; chaincode controls these strings. */
const NAME_CHARS_MAX = 64;

/** A name from the module, made safe to put in a message: printable ASCII, bounded length. */
export function quoteName(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > NAME_CHARS_MAX ? `${printable.slice(0, NAME_CHARS_MAX)}…` : printable;
}
