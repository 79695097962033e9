// The event hub's registration messages (Fabric v0.6 protos/events.proto: Register, Unregister,
// Interest, ChaincodeReg) in JSON, validated and bounded: a consumer is a network client.
// Field names are matched case-insensitively, as Go's encoding/json would.
//
// FILTERED_BLOCK is weft's addition, after Fabric 1.1's FilteredBlock: a block's number, hashes
// and txids without the transactions, for consumers that only follow which transactions
// committed (a load driver, a wallet) and should not make every peer build and send every block.

export const EventType = { REGISTER: 0, BLOCK: 1, CHAINCODE: 2, REJECTION: 3, FILTERED_BLOCK: 4 } as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

/** Interests in one register/unregister message. */
export const INTERESTS_PER_MESSAGE_MAX = 64;
const ID_BYTES_MAX = 256;

export interface Interest {
  eventType: EventTypeValue;
  chaincodeRegInfo?: { chaincodeID: string; eventName: string };
}

export type ParsedInterests =
  | { ok: true; kind: 'register' | 'unregister'; interests: Interest[] }
  | { ok: false; error: string };

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}

const TYPE_NAMES: Record<string, EventTypeValue> = { BLOCK: 1, CHAINCODE: 2, REJECTION: 3, FILTERED_BLOCK: 4, FILTEREDBLOCK: 4 };
/** The types a consumer may register (REGISTER is not an interest). */
const INTEREST_TYPES: ReadonlySet<EventTypeValue> = new Set(Object.values(TYPE_NAMES));

function eventType(value: unknown): EventTypeValue | undefined {
  if (typeof value === 'number' && INTEREST_TYPES.has(value as EventTypeValue)) return value as EventTypeValue;
  // Fabric's JSON encodes enums as integers; the names are accepted too, for people typing them.
  if (typeof value === 'string') return TYPE_NAMES[value.toUpperCase()];
  return undefined;
}

function boundedString(value: unknown, name: string): string | { error: string } {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') return { error: `${name} must be a string` };
  if (Buffer.byteLength(value) > ID_BYTES_MAX) return { error: `${name} is longer than ${ID_BYTES_MAX} bytes` };
  return value;
}

function parseInterest(value: unknown, index: number): Interest | { error: string } {
  if (!isObject(value)) return { error: `events[${index}] must be an object` };
  const type = eventType(field(value, 'eventType'));
  if (type === undefined) return { error: `events[${index}].eventType must be 1 (BLOCK), 2 (CHAINCODE), 3 (REJECTION) or 4 (FILTERED_BLOCK)` };
  if (type !== EventType.CHAINCODE) return { eventType: type };
  const info = field(value, 'chaincodeRegInfo');
  if (info !== undefined && info !== null && !isObject(info)) return { error: `events[${index}].chaincodeRegInfo must be an object` };
  const chaincodeID = boundedString(isObject(info) ? field(info, 'chaincodeID') : undefined, `events[${index}].chaincodeRegInfo.chaincodeID`);
  if (typeof chaincodeID !== 'string') return chaincodeID;
  const eventName = boundedString(isObject(info) ? field(info, 'eventName') : undefined, `events[${index}].chaincodeRegInfo.eventName`);
  if (typeof eventName !== 'string') return eventName;
  return { eventType: type, chaincodeRegInfo: { chaincodeID, eventName } };
}

/** Reads `{"register":{"events":[…]}}` or `{"unregister":{"events":[…]}}`. */
export function parseInterests(message: unknown): ParsedInterests {
  if (!isObject(message)) return { ok: false, error: 'expected {"register":{"events":[…]}} or {"unregister":{"events":[…]}}' };
  const register = field(message, 'register');
  const unregister = field(message, 'unregister');
  if ((register === undefined) === (unregister === undefined)) {
    return { ok: false, error: 'expected exactly one of "register" or "unregister"' };
  }
  const kind = register !== undefined ? 'register' : 'unregister';
  const body = register ?? unregister;
  if (!isObject(body)) return { ok: false, error: `${kind} must be an object with an "events" list` };
  const events = field(body, 'events');
  if (!Array.isArray(events)) return { ok: false, error: `${kind}.events must be a list of interests` };
  if (events.length > INTERESTS_PER_MESSAGE_MAX) return { ok: false, error: `at most ${INTERESTS_PER_MESSAGE_MAX} interests per message` };
  const interests: Interest[] = [];
  for (const [index, value] of events.entries()) {
    const interest = parseInterest(value, index);
    if ('error' in interest) return { ok: false, error: interest.error };
    interests.push(interest);
  }
  return { ok: true, kind, interests };
}
