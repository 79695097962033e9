// Where a chaincode call frame reads and writes state. The outermost frame writes straight into
// the executor's views (the executor discards them if the transaction fails); a nested invoke
// gets a StateOverlay of its own over its caller's store, applied to the caller only if the
// callee succeeds, so a failed callee leaves no trace while its caller carries on.
import type { WriteSet } from '../ledger/types.ts';
import type { StateReader } from './state-overlay.ts';
import type { ExecutionHost, StateView } from './types.ts';

export interface FrameStore extends StateReader {
  view(namespace: string): StateView;
  apply(writes: WriteSet): void;
}

/** The executor's state, reached through ExecutionHost.state(namespace). */
export class HostStore implements FrameStore {
  readonly #host: ExecutionHost;
  readonly #views = new Map<string, StateView>();

  constructor(host: ExecutionHost) {
    this.#host = host;
  }

  view(namespace: string): StateView {
    let view = this.#views.get(namespace);
    if (view === undefined) {
      view = this.#host.state(namespace);
      this.#views.set(namespace, view);
    }
    return view;
  }

  getState(namespace: string, key: string): Uint8Array | undefined {
    return this.view(namespace).get(key);
  }

  rangeState(namespace: string, startKey: string, endKey: string): Iterator<[string, Uint8Array]> {
    return this.view(namespace).range(startKey, endKey);
  }

  prefixState(namespace: string, prefix: string): Iterator<[string, Uint8Array]> {
    return this.view(namespace).prefix(prefix);
  }

  apply(writes: WriteSet): void {
    for (const [namespace, keys] of writes) {
      const view = this.view(namespace);
      for (const [key, value] of keys) {
        if (value === null) view.del(key);
        else view.put(key, value);
      }
    }
  }
}
