// Worker thread of build-all.ts: compiles the chaincode folders it is sent, one at a time, with
// its own copy of the AssemblyScript compiler (asc is not safe to run concurrently in one thread).
import { parentPort } from 'node:worker_threads';
import { buildChaincode } from './build.ts';

export interface BuildJobMessage { id: number; dir: string; outFile: string }
export type BuildJobReply =
  | { id: number; ok: true; bytes: number; ms: number; diagnostics: string }
  | { id: number; ok: false; error: string };

const port = parentPort;
if (port !== null) {
  port.on('message', (job: BuildJobMessage) => {
    const started = performance.now();
    buildChaincode(job.dir, { outFile: job.outFile }).then(
      (result) => port.postMessage({ id: job.id, ok: true, bytes: result.wasm.length, ms: performance.now() - started, diagnostics: result.diagnostics } satisfies BuildJobReply),
      (error: unknown) => port.postMessage({ id: job.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies BuildJobReply),
    );
  });
}
