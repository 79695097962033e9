// POST /chaincode: Fabric v0.6's JSON-RPC 2.0 envelope, checked in Fabric's order with its
// codes, messages and HTTP statuses (core/rest/rest_api.go, reference §1.3). Keys are matched
// case-insensitively, as Go's encoding/json does ("ID", "Function" work).
import { ARGS_BYTES_MAX, ARGS_COUNT_MAX, CHAINCODE_NAME_BYTES_MAX, MEMBERSHIP_INPUT_BYTES_MAX, MODULE_BYTES_MAX } from '../protocol/limits.ts';
import { ATTRIBUTE_NAME_BYTES_MAX, CERT_ATTRIBUTES_MAX } from '../security/cert-format.ts';
import { emptyChaincodeSpec, type ChaincodeSpec } from '../protocol/messages.ts';

export type RpcId = string | number;
export type ChaincodeMethod = 'deploy' | 'invoke' | 'query';

export interface RpcError {
  code: number;
  message: string;
  data: string;
}

export const RpcErrors = {
  parse: (data: string): RpcError => ({ code: -32700, message: 'Parse error', data }),
  invalidRequest: (data: string): RpcError => ({ code: -32600, message: 'Invalid request', data }),
  methodNotFound: (): RpcError => ({ code: -32601, message: 'Method not found', data: 'Requested method does not exist.' }),
  invalidParams: (data: string): RpcError => ({ code: -32602, message: 'Invalid params', data }),
  internal: (data: string): RpcError => ({ code: -32603, message: 'Internal error', data }),
  registrationMissing: (): RpcError => ({
    code: -32000,
    message: 'Registration missing',
    data: "User not logged in. Use the '/registrar' endpoint to obtain a security token.",
  }),
  deployFailure: (error: string): RpcError => ({ code: -32001, message: 'Deployment failure', data: `Error when deploying chaincode: ${error}` }),
  invokeFailure: (error: string): RpcError => ({ code: -32002, message: 'Invocation failure', data: `Error when invoking chaincode: ${error}` }),
  queryFailure: (error: string): RpcError => ({ code: -32003, message: 'Query failure', data: `Error when querying chaincode: ${error}` }),
} as const;

/** The outcome of reading an envelope: an error to send (with its HTTP status), or a request to run. */
export type EnvelopeResult =
  | { kind: 'error'; httpStatus: number; error: RpcError; id: RpcId | null; notification: boolean }
  | { kind: 'request'; method: ChaincodeMethod; params: Record<string, unknown>; id: RpcId | null; notification: boolean };

export type SpecResult =
  | { ok: true; spec: ChaincodeSpec; codePackage?: Uint8Array; idGenerationAlg: string; signMetadata: boolean }
  | { ok: false; error: RpcError };

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field by name, exact match first, then case-insensitive (Go encoding/json). */
export function field(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}

/** Reads the envelope up to the params check (everything that answers with a non-200 status). */
export function readEnvelope(body: string): EnvelopeResult {
  if (body.trim() === '') {
    return { kind: 'error', httpStatus: 400, error: RpcErrors.invalidRequest('Client must supply a payload for chaincode requests.'), id: null, notification: false };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return {
      kind: 'error',
      httpStatus: 400,
      error: RpcErrors.parse(`Error unmarshalling chaincode request payload: ${(error as Error).message}`),
      id: null,
      notification: false,
    };
  }
  if (!isObject(parsed)) {
    return {
      kind: 'error',
      httpStatus: 400,
      error: RpcErrors.parse('Error unmarshalling chaincode request payload: the payload must be a JSON object'),
      id: null,
      notification: false,
    };
  }
  const rawId = field(parsed, 'id');
  if (rawId !== undefined && rawId !== null && typeof rawId !== 'string' && !(typeof rawId === 'number' && Number.isFinite(rawId))) {
    return {
      kind: 'error',
      httpStatus: 400,
      error: RpcErrors.parse('Error unmarshalling chaincode request payload: the id must be a number or a string'),
      id: null,
      notification: false,
    };
  }
  const id = (rawId ?? null) as RpcId | null;
  const notification = id === null;
  const fail = (httpStatus: number, error: RpcError): EnvelopeResult => ({ kind: 'error', httpStatus, error, id, notification });

  const version = field(parsed, 'jsonrpc');
  if (version === undefined || version === null || version === '') return fail(400, RpcErrors.invalidRequest('Missing JSON RPC 2.0 version string.'));
  if (version !== '2.0') return fail(400, RpcErrors.invalidRequest('Invalid JSON RPC 2.0 version string. Must be 2.0.'));
  const method = field(parsed, 'method');
  if (method === undefined || method === null || method === '') return fail(400, RpcErrors.invalidRequest('Missing JSON RPC 2.0 method string.'));
  if (method !== 'deploy' && method !== 'invoke' && method !== 'query') return fail(404, RpcErrors.methodNotFound());
  const params = field(parsed, 'params');
  if (!isObject(params)) {
    return fail(400, RpcErrors.invalidParams(`Client must supply ChaincodeSpec for chaincode ${method} request.`));
  }
  return { kind: 'request', method, params, id, notification };
}

function parseArgs(ctor: JsonObject): { ok: true; args: Uint8Array[] } | { ok: false; error: RpcError } {
  const encoder = new TextEncoder();
  const rawArgs = field(ctor, 'args');
  const fn = field(ctor, 'function');
  if (rawArgs !== undefined && rawArgs !== null && !Array.isArray(rawArgs)) {
    return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: ctorMsg.args must be an array of strings') };
  }
  const list = (rawArgs ?? []) as unknown[];
  if (fn !== undefined && fn !== null && typeof fn !== 'string') {
    return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: ctorMsg.function must be a string') };
  }
  // Fabric prepends the function to the args: {"function":"f","args":[…]} ≡ {"args":["f",…]}.
  const strings = typeof fn === 'string' && fn !== '' ? [fn, ...list] : list;
  if (strings.length > ARGS_COUNT_MAX) {
    return { ok: false, error: RpcErrors.invalidParams(`Too many arguments: ${strings.length} (at most ${ARGS_COUNT_MAX}).`) };
  }
  const args: Uint8Array[] = [];
  let total = 0;
  for (const arg of strings) {
    if (typeof arg !== 'string') {
      return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: ctorMsg.args must be an array of strings') };
    }
    const bytes = encoder.encode(arg);
    total += bytes.length;
    if (total > ARGS_BYTES_MAX) {
      return { ok: false, error: RpcErrors.invalidParams(`Arguments too large: more than ${ARGS_BYTES_MAX} bytes.`) };
    }
    args.push(bytes);
  }
  return { ok: true, args };
}

function optionalString(object: JsonObject, name: string): string | RpcError {
  const value = field(object, name);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') return RpcErrors.parse(`Error unmarshalling chaincode request payload: ${name} must be a string`);
  return value;
}

/** Reads and checks a ChaincodeSpec for a method (the checks that answer HTTP 200 with an error object). */
export function readChaincodeSpec(method: ChaincodeMethod, params: JsonObject, security: { enabled: boolean; devMode?: boolean }): SpecResult {
  const spec = emptyChaincodeSpec();
  const type = field(params, 'type');
  if (type !== undefined && type !== null) {
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 4) {
      return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: type must be an integer 0-4') };
    }
    spec.type = type;
  }
  const chaincodeID = field(params, 'chaincodeID');
  if (chaincodeID === undefined || chaincodeID === null) return { ok: false, error: RpcErrors.invalidParams('Payload must contain a ChaincodeID.') };
  if (!isObject(chaincodeID)) return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: chaincodeID must be an object') };
  const path = optionalString(chaincodeID, 'path');
  if (typeof path !== 'string') return { ok: false, error: path };
  const name = optionalString(chaincodeID, 'name');
  if (typeof name !== 'string') return { ok: false, error: name };
  if (method === 'deploy') {
    if (security.devMode ? name === '' : path === '') {
      return { ok: false, error: RpcErrors.invalidParams(security.devMode ? 'Chaincode name may not be blank in development mode.' : 'Chaincode path may not be blank.') };
    }
  } else if (name === '') {
    return { ok: false, error: RpcErrors.invalidParams('Chaincode name may not be blank.') };
  }
  if (new TextEncoder().encode(name).length > CHAINCODE_NAME_BYTES_MAX) {
    return { ok: false, error: RpcErrors.invalidParams(`Chaincode name too long (at most ${CHAINCODE_NAME_BYTES_MAX} bytes).`) };
  }
  spec.chaincodeID = { path, name };

  const ctor = field(params, 'ctorMsg');
  if (ctor !== undefined && ctor !== null && !isObject(ctor)) {
    return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: ctorMsg must be an object') };
  }
  const parsedArgs = parseArgs((ctor ?? {}) as JsonObject);
  if (!parsedArgs.ok) return parsedArgs;
  if (parsedArgs.args.length === 0) {
    return { ok: false, error: RpcErrors.invalidParams('Payload must contain a CtorMsg with a Chaincode function name.') };
  }
  spec.ctorMsg = { args: parsedArgs.args };

  const secureContext = optionalString(params, 'secureContext');
  if (typeof secureContext !== 'string') return { ok: false, error: secureContext };
  spec.secureContext = secureContext;
  const attributes = field(params, 'attributes');
  if (attributes !== undefined && attributes !== null) {
    if (!Array.isArray(attributes) || attributes.some((a) => typeof a !== 'string')) {
      return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: attributes must be an array of strings') };
    }
    if (attributes.length > CERT_ATTRIBUTES_MAX || attributes.some((a: string) => a === '' || Buffer.byteLength(a) > ATTRIBUTE_NAME_BYTES_MAX)) {
      return { ok: false, error: RpcErrors.invalidParams(`attributes: at most ${CERT_ATTRIBUTES_MAX} names of 1 to ${ATTRIBUTE_NAME_BYTES_MAX} bytes.`) };
    }
    spec.attributes = attributes as string[];
  }
  // Fabric's ChaincodeSpec.metadata: bytes, base64 in JSON (the caller metadata chaincode reads).
  const metadata = field(params, 'metadata');
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(metadata)) {
      return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: metadata must be base64') };
    }
    spec.metadata = new Uint8Array(Buffer.from(metadata, 'base64'));
    if (spec.metadata.length > MEMBERSHIP_INPUT_BYTES_MAX) {
      return { ok: false, error: RpcErrors.invalidParams(`metadata too large: more than ${MEMBERSHIP_INPUT_BYTES_MAX} bytes.`) };
    }
  }
  // weft extension: the peer signs payload ‖ binding with the user's enrollment key into the metadata.
  const signMetadata = field(params, 'signMetadata');
  if (signMetadata !== undefined && signMetadata !== null && typeof signMetadata !== 'boolean') {
    return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: signMetadata must be true or false') };
  }
  if (signMetadata === true && !security.enabled) {
    return { ok: false, error: RpcErrors.invalidParams('signMetadata needs security to be enabled.') };
  }
  const confidentiality = field(params, 'confidentialityLevel');
  if (confidentiality !== undefined && confidentiality !== null) {
    if (confidentiality !== 0 && confidentiality !== 1) {
      return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: confidentialityLevel must be 0 or 1') };
    }
    spec.confidentialityLevel = confidentiality;
  }
  if (security.enabled && spec.secureContext === '') {
    return { ok: false, error: RpcErrors.invalidParams('Must supply username for chaincode when security is enabled.') };
  }

  // The transaction id algorithm of Fabric's Devops (CLI -t): "" for a UUID, "sha256" for a hash of the args.
  const idGenerationAlg = optionalString(params, 'idGenerationAlg');
  if (typeof idGenerationAlg !== 'string') return { ok: false, error: idGenerationAlg };
  if (idGenerationAlg !== '' && idGenerationAlg !== 'sha256') {
    return { ok: false, error: RpcErrors.invalidParams(`Unknown idGenerationAlg "${idGenerationAlg}": use "sha256" or leave it out.`) };
  }

  // weft extension: a deploy may carry the module itself (base64), so a client need not share
  // a filesystem with the peer. chaincodeID.path then only labels it.
  const codePackage = field(params, 'codePackage');
  if (method === 'deploy' && codePackage !== undefined && codePackage !== null) {
    if (typeof codePackage !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(codePackage)) {
      return { ok: false, error: RpcErrors.parse('Error unmarshalling chaincode request payload: codePackage must be base64') };
    }
    const bytes = new Uint8Array(Buffer.from(codePackage, 'base64'));
    if (bytes.length === 0) return { ok: false, error: RpcErrors.invalidParams('codePackage is empty.') };
    if (bytes.length > MODULE_BYTES_MAX) {
      return { ok: false, error: RpcErrors.invalidParams(`codePackage too large: ${bytes.length} bytes (at most ${MODULE_BYTES_MAX}).`) };
    }
    return { ok: true, spec, codePackage: bytes, idGenerationAlg, signMetadata: signMetadata === true };
  }
  return { ok: true, spec, idGenerationAlg, signMetadata: signMetadata === true };
}
