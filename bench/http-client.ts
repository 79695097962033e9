// The lean load-generation HTTP client now lives in host/bench/ (so `weft bench` can use it);
// re-exported here for the bench scripts.
export { LeanHttpConnection } from '../host/bench/http-client.ts';
