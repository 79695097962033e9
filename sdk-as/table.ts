// Fabric v0.6's table API (core/chaincode/shim/chaincode.go + table.proto) on plain state keys,
// byte-compatible with Fabric: the table definition lives at `len(name) name`, each row at that
// prefix followed by `len(k) k` per key column (k = decimal / raw string / raw bytes /
// "true"|"false"), definitions and rows are protobuf-encoded Table and Row messages, and the
// error strings are Fabric's, typos included ("Inavlid table...").
//
// Deliberate differences, all toward correctness: GetRows and DeleteTable scan the key prefix
// (range_open PREFIX) instead of Fabric's ["<prefix>1", "<prefix>:"] range, so rows whose next key
// column is empty are found and deleted, and GetRows with a full key returns that row; GetRows
// also drops rows whose key columns do not match the requested ones (the length-prefixed
// encoding is ambiguous: key "0" and a 10-byte key both start with "10"). State keys must be UTF-8
// in weft, so a BYTES key column must hold valid UTF-8.
import { SdkError } from "./codes";
import { StubError, Result, okResult, errResult } from "./result";
import { utf8, str, bytesEqual, isValidUtf8, ByteWriter, ByteReader } from "./bytes";
import { stateGet, statePut, stateDel, openRange, StateRangeQueryIterator } from "./state";

/** Fabric's ErrTableNotFound message. */
export const ERR_TABLE_NOT_FOUND = "chaincode: Table not found";

/** ColumnDefinition.Type of table.proto. */
export namespace ColumnType {
  export const STRING: i32 = 0;
  export const INT32: i32 = 1;
  export const INT64: i32 = 2;
  export const UINT32: i32 = 3;
  export const UINT64: i32 = 4;
  export const BYTES: i32 = 5;
  export const BOOL: i32 = 6;
  /** A Column with no value set (a decoded Column message without any field). */
  export const NONE: i32 = -1;
}

/** The enum name Go prints for a column type. */
export function columnTypeName(type: i32): string {
  switch (type) {
    case ColumnType.STRING: return "STRING";
    case ColumnType.INT32: return "INT32";
    case ColumnType.INT64: return "INT64";
    case ColumnType.UINT32: return "UINT32";
    case ColumnType.UINT64: return "UINT64";
    case ColumnType.BYTES: return "BYTES";
    case ColumnType.BOOL: return "BOOL";
    default: return type.toString();
  }
}

function isValidColumnType(type: i32): bool {
  return type >= ColumnType.STRING && type <= ColumnType.BOOL;
}

export class ColumnDefinition {
  constructor(public name: string, public type: i32, public key: bool) {}
}

export class Table {
  constructor(public name: string, public columnDefinitions: Array<ColumnDefinition>) {}
}

/** One cell: a oneof over Fabric's seven column types. Getters return the zero value for another type, as Go's do. */
export class Column {
  private s: string = "";
  private n: u64 = 0;
  private b: Uint8Array | null = null;

  private constructor(public readonly type: i32) {}

  static fromString(v: string): Column { const c = new Column(ColumnType.STRING); c.s = v; return c; }
  static fromInt32(v: i32): Column { const c = new Column(ColumnType.INT32); c.n = <u64><i64>v; return c; }
  static fromInt64(v: i64): Column { const c = new Column(ColumnType.INT64); c.n = <u64>v; return c; }
  static fromUint32(v: u32): Column { const c = new Column(ColumnType.UINT32); c.n = <u64>v; return c; }
  static fromUint64(v: u64): Column { const c = new Column(ColumnType.UINT64); c.n = v; return c; }
  static fromBytes(v: Uint8Array): Column { const c = new Column(ColumnType.BYTES); c.b = v; return c; }
  static fromBool(v: bool): Column { const c = new Column(ColumnType.BOOL); c.n = v ? 1 : 0; return c; }
  /** A column without a value (what Go calls a Column whose Value is nil). */
  static none(): Column { return new Column(ColumnType.NONE); }

  getString(): string { return this.type == ColumnType.STRING ? this.s : ""; }
  getInt32(): i32 { return this.type == ColumnType.INT32 ? <i32>this.n : 0; }
  getInt64(): i64 { return this.type == ColumnType.INT64 ? <i64>this.n : 0; }
  getUint32(): u32 { return this.type == ColumnType.UINT32 ? <u32>this.n : 0; }
  getUint64(): u64 { return this.type == ColumnType.UINT64 ? this.n : 0; }
  getBytes(): Uint8Array {
    const b = this.b;
    return this.type == ColumnType.BYTES && b != null ? b : new Uint8Array(0);
  }
  getBool(): bool { return this.type == ColumnType.BOOL && this.n != 0; }

  /** The column's form inside a row key (Fabric's buildKeyString). */
  keyBytes(): Uint8Array {
    switch (this.type) {
      case ColumnType.STRING: return utf8(this.s);
      case ColumnType.INT32: return utf8((<i32>this.n).toString());
      case ColumnType.INT64: return utf8((<i64>this.n).toString());
      case ColumnType.UINT32: return utf8((<u32>this.n).toString());
      case ColumnType.UINT64: return utf8(this.n.toString());
      case ColumnType.BYTES: return this.getBytes();
      case ColumnType.BOOL: return utf8(this.n != 0 ? "true" : "false");
      default: return new Uint8Array(0);
    }
  }

  /** Writes the Column message (table.proto): the one set field. */
  encode(w: ByteWriter): void {
    switch (this.type) {
      case ColumnType.STRING: writeBytesField(w, 1, utf8(this.s)); break;
      // int32 is sign-extended to 64 bits on the wire, as protobuf does for negative values
      case ColumnType.INT32: w.varint(2 << 3).varint(<u64><i64><i32>this.n); break;
      case ColumnType.INT64: w.varint(3 << 3).varint(this.n); break;
      case ColumnType.UINT32: w.varint(4 << 3).varint(this.n); break;
      case ColumnType.UINT64: w.varint(5 << 3).varint(this.n); break;
      case ColumnType.BYTES: writeBytesField(w, 6, this.getBytes()); break;
      case ColumnType.BOOL: w.varint(7 << 3).varint(this.n); break;
      default: break;
    }
  }

  /** Decodes a Column message; null if malformed. */
  static decode(data: Uint8Array): Column | null {
    const r = new ByteReader(data);
    let column = Column.none();
    while (!r.done) {
      const tag = r.varint();
      if (r.failed) return null;
      const field = <i32>(tag >> 3);
      const wire = <i32>(tag & 7);
      if (field >= 1 && field <= 7) {
        const lengthDelimited = field == 1 || field == 6;
        if (lengthDelimited != (wire == 2) || (!lengthDelimited && wire != 0)) return null;
        if (lengthDelimited) {
          const len = r.varint();
          if (r.failed || len > <u64>r.remaining) return null;
          const bytes = r.take(<i32>len);
          if (field == 1) {
            if (!isValidUtf8(bytes)) return null;
            column = Column.fromString(str(bytes));
          } else {
            column = Column.fromBytes(bytes);
          }
        } else {
          const v = r.varint();
          if (r.failed) return null;
          if (field == 2) column = Column.fromInt32(<i32>v);
          else if (field == 3) column = Column.fromInt64(<i64>v);
          else if (field == 4) column = Column.fromUint32(<u32>v);
          else if (field == 5) column = Column.fromUint64(v);
          else column = Column.fromBool(v != 0);
        }
      } else if (!skipField(r, wire)) {
        return null;
      }
    }
    return column;
  }
}

export class Row {
  constructor(public columns: Array<Column> = new Array<Column>()) {}

  encode(): Uint8Array {
    const w = new ByteWriter(64);
    const columns = this.columns;
    for (let i = 0; i < columns.length; i++) {
      const inner = new ByteWriter(32);
      columns[i].encode(inner);
      writeBytesField(w, 1, inner.finish());
    }
    return w.finish();
  }

  /** Decodes a Row message; null if malformed. */
  static decode(data: Uint8Array): Row | null {
    const r = new ByteReader(data);
    const columns = new Array<Column>();
    while (!r.done) {
      const tag = r.varint();
      if (r.failed) return null;
      const field = <i32>(tag >> 3);
      const wire = <i32>(tag & 7);
      if (field == 1) {
        if (wire != 2) return null;
        const len = r.varint();
        if (r.failed || len > <u64>r.remaining) return null;
        const column = Column.decode(r.take(<i32>len));
        if (column == null) return null;
        columns.push(column);
      } else if (!skipField(r, wire)) {
        return null;
      }
    }
    return new Row(columns);
  }
}

function writeBytesField(w: ByteWriter, field: i32, bytes: Uint8Array): void {
  w.varint(<u64>((field << 3) | 2)).varint(<u64>bytes.length).bytes(bytes);
}

/** Skips an unknown field of the given wire type; false if it cannot be skipped. */
function skipField(r: ByteReader, wire: i32): bool {
  if (wire == 0) { r.varint(); return !r.failed; }
  if (wire == 1) { r.skip(8); return !r.failed; }
  if (wire == 5) { r.skip(4); return !r.failed; }
  if (wire == 2) {
    const len = r.varint();
    if (r.failed || len > <u64>r.remaining) return false;
    r.skip(<i32>len);
    return !r.failed;
  }
  return false;
}

function encodeTable(table: Table): Uint8Array {
  const w = new ByteWriter(64);
  const name = utf8(table.name);
  if (name.length > 0) writeBytesField(w, 1, name);
  const defs = table.columnDefinitions;
  for (let i = 0; i < defs.length; i++) {
    const def = defs[i];
    const inner = new ByteWriter(32);
    const defName = utf8(def.name);
    if (defName.length > 0) writeBytesField(inner, 1, defName);
    if (def.type != 0) inner.varint(2 << 3).varint(<u64><i64>def.type);
    if (def.key) inner.varint(3 << 3).varint(1);
    writeBytesField(w, 2, inner.finish());
  }
  return w.finish();
}

function decodeColumnDefinition(data: Uint8Array): ColumnDefinition | null {
  const r = new ByteReader(data);
  const def = new ColumnDefinition("", 0, false);
  while (!r.done) {
    const tag = r.varint();
    if (r.failed) return null;
    const field = <i32>(tag >> 3);
    const wire = <i32>(tag & 7);
    if (field == 1 && wire == 2) {
      const len = r.varint();
      if (r.failed || len > <u64>r.remaining) return null;
      const bytes = r.take(<i32>len);
      if (!isValidUtf8(bytes)) return null;
      def.name = str(bytes);
    } else if (field == 2 && wire == 0) {
      def.type = <i32>r.varint();
    } else if (field == 3 && wire == 0) {
      def.key = r.varint() != 0;
    } else if (field >= 1 && field <= 3) {
      return null;
    } else if (!skipField(r, wire)) {
      return null;
    }
    if (r.failed) return null;
  }
  return def;
}

function decodeTable(data: Uint8Array): Table | null {
  const r = new ByteReader(data);
  const table = new Table("", new Array<ColumnDefinition>());
  while (!r.done) {
    const tag = r.varint();
    if (r.failed) return null;
    const field = <i32>(tag >> 3);
    const wire = <i32>(tag & 7);
    if ((field == 1 || field == 2) && wire == 2) {
      const len = r.varint();
      if (r.failed || len > <u64>r.remaining) return null;
      const bytes = r.take(<i32>len);
      if (field == 1) {
        if (!isValidUtf8(bytes)) return null;
        table.name = str(bytes);
      } else {
        const def = decodeColumnDefinition(bytes);
        if (def == null) return null;
        table.columnDefinitions.push(def);
      }
    } else if (field == 1 || field == 2) {
      return null;
    } else if (!skipField(r, wire)) {
      return null;
    }
  }
  return table;
}

function invalid(message: string): StubError {
  return new StubError(message, SdkError.INVALID);
}

function lengthPrefixed(w: ByteWriter, bytes: Uint8Array): void {
  w.string(bytes.length.toString()).bytes(bytes);
}

/** `len(name) name`, or Fabric's error for an empty name. */
function tableNameKey(name: string): Result<Uint8Array> {
  if (name.length == 0) {
    return errResult<Uint8Array>("Inavlid table name. Table name must be 1 or more characters.", SdkError.INVALID);
  }
  const w = new ByteWriter(name.length + 4);
  lengthPrefixed(w, utf8(name));
  return okResult<Uint8Array>(w.finish());
}

/** Fabric's buildKeyString: the table key followed by each key column, length-prefixed. */
export function buildRowKey(tableName: string, keys: Array<Column>): Result<Uint8Array> {
  const prefix = tableNameKey(tableName);
  if (!prefix.ok) return prefix;
  const w = new ByteWriter(64);
  w.bytes(prefix.value);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i].keyBytes();
    if (!isValidUtf8(k)) {
      return errResult<Uint8Array>(
        "Invalid key for table '" + tableName + "': a BYTES key column must hold valid UTF-8 (weft state keys are UTF-8).",
        SdkError.INVALID,
      );
    }
    lengthPrefixed(w, k);
  }
  return okResult<Uint8Array>(w.finish());
}

function loadTable(tableName: string): Result<Table> {
  const key = tableNameKey(tableName);
  if (!key.ok) return errResult<Table>(key.message, key.error!.code);
  const bytes = stateGet(key.value.dataStart, key.value.length);
  if (bytes == null) return errResult<Table>(ERR_TABLE_NOT_FOUND, SdkError.TABLE_NOT_FOUND);
  const table = decodeTable(bytes);
  if (table == null) return errResult<Table>("Error unmarshalling table: malformed Table message", SdkError.INVALID);
  return okResult<Table>(table);
}

export function createTable(name: string, columnDefinitions: Array<ColumnDefinition>): StubError | null {
  const existing = loadTable(name);
  if (existing.ok) return invalid("CreateTable operation failed. Table " + name + " already exists.");
  if (existing.error!.code != SdkError.TABLE_NOT_FOUND) return invalid("CreateTable operation failed. " + existing.message);
  if (columnDefinitions.length == 0) return invalid("Invalid column definitions. Tables must contain at least one column.");

  let hasKey = false;
  const names = new Set<string>();
  for (let i = 0; i < columnDefinitions.length; i++) {
    const def = unchecked(columnDefinitions[i]);
    if (changetype<usize>(def) == 0) {
      return invalid("Column definition " + i.toString() + " is invalid. Definition must not be nil.");
    }
    if (def.name.length == 0) {
      return invalid("Column definition " + i.toString() + " is invalid. Name must be 1 or more characters.");
    }
    if (names.has(def.name)) return invalid("Invalid table. Table contains duplicate column name '" + def.name + "'.");
    names.add(def.name);
    if (!isValidColumnType(def.type)) return invalid("Column definition " + def.name + " does not have a valid type.");
    if (def.key) hasKey = true;
  }
  if (!hasKey) return invalid("Inavlid table. One or more columns must be a key.");

  const key = tableNameKey(name).value;
  const value = encodeTable(new Table(name, columnDefinitions));
  const error = statePut(key.dataStart, key.length, value.dataStart, value.length);
  if (error != null) return new StubError("Error inserting table in state: " + error.message, error.code);
  return null;
}

export function getTable(tableName: string): Result<Table> {
  return loadTable(tableName);
}

/** Deletes the table's rows and its definition. */
export function deleteTable(tableName: string): StubError | null {
  const key = tableNameKey(tableName);
  if (!key.ok) return key.error;
  const opened = openRange(key.value.dataStart, key.value.length, 0, 0, true);
  if (!opened.ok) return new StubError("Error deleting table: " + opened.message, opened.error!.code);
  const iter = opened.value;
  // Collect first: deleting while a range is open would change what the range sees.
  const doomed = new Array<Uint8Array>();
  while (iter.hasNext()) doomed.push(utf8(iter.next().key));
  iter.close();
  for (let i = 0; i < doomed.length; i++) {
    const error = stateDel(doomed[i].dataStart, doomed[i].length);
    if (error != null) return new StubError("Error deleting table: " + error.message, error.code);
  }
  return stateDel(key.value.dataStart, key.value.length);
}

/** Fabric's getKeyAndVerifyRow: the row's key columns, or a column count / type error. */
function keyColumnsOf(table: Table, row: Row): Result<Array<Column>> {
  const defs = table.columnDefinitions;
  const columns = row.columns;
  if (columns.length != defs.length) {
    return errResult<Array<Column>>(
      "Table '" + table.name + "' defines " + defs.length.toString() + " columns, but row has " + columns.length.toString() + " columns.",
      SdkError.INVALID,
    );
  }
  const keys = new Array<Column>();
  for (let i = 0; i < columns.length; i++) {
    const column = unchecked(columns[i]);
    const def = unchecked(defs[i]);
    if (changetype<usize>(column) == 0 || column.type != def.type) {
      return errResult<Array<Column>>(
        "The type for table '" + table.name + "', column '" + def.name + "' is '" + columnTypeName(def.type) + "', but the column in the row does not match.",
        SdkError.INVALID,
      );
    }
    if (def.key) keys.push(column);
  }
  return okResult<Array<Column>>(keys);
}

function putRow(tableName: string, row: Row, update: bool): Result<bool> {
  const table = loadTable(tableName);
  if (!table.ok) return errResult<bool>(table.message, table.error!.code);
  const keys = keyColumnsOf(table.value, row);
  if (!keys.ok) return errResult<bool>(keys.message, keys.error!.code);
  const key = buildRowKey(tableName, keys.value);
  if (!key.ok) return errResult<bool>(key.message, key.error!.code);
  const present = stateGet(key.value.dataStart, key.value.length) != null;
  if (present != update) return okResult<bool>(false);
  const value = row.encode();
  const error = statePut(key.value.dataStart, key.value.length, value.dataStart, value.length);
  if (error != null) return errResult<bool>("Error inserting row in table " + tableName + ": " + error.message, error.code);
  return okResult<bool>(true);
}

/** true if inserted; false (no error) if a row with that key exists. */
export function insertRow(tableName: string, row: Row): Result<bool> {
  return putRow(tableName, row, false);
}

/** true if replaced; false (no error) if no row with that key exists. */
export function replaceRow(tableName: string, row: Row): Result<bool> {
  return putRow(tableName, row, true);
}

/** The row with that full key; a Row with no columns if there is none (as in Fabric). */
export function getRow(tableName: string, key: Array<Column>): Result<Row> {
  const rowKey = buildRowKey(tableName, key);
  if (!rowKey.ok) return errResult<Row>(rowKey.message, rowKey.error!.code);
  const bytes = stateGet(rowKey.value.dataStart, rowKey.value.length);
  if (bytes == null) return okResult<Row>(new Row());
  const row = Row.decode(bytes);
  if (row == null) return errResult<Row>("Error unmarshalling row: malformed Row message", SdkError.INVALID);
  return okResult<Row>(row);
}

export function deleteRow(tableName: string, key: Array<Column>): StubError | null {
  const rowKey = buildRowKey(tableName, key);
  if (!rowKey.ok) return rowKey.error;
  const error = stateDel(rowKey.value.dataStart, rowKey.value.length);
  if (error != null) return new StubError("DeleteRow operation error. Error deleting row: " + error.message, error.code);
  return null;
}

/** Rows of a partial-key scan, in key byte order (Fabric returns them on a channel). */
export class RowIterator {
  private pending: Row | null = null;

  constructor(
    private readonly table: Table,
    private readonly tableKey: Uint8Array,
    private readonly key: Array<Column>,
    private readonly iter: StateRangeQueryIterator | null,
    private single: Row | null,
  ) {}

  hasNext(): bool {
    if (this.pending != null) return true;
    const single = this.single;
    if (single != null) {
      this.pending = single;
      this.single = null;
      return true;
    }
    const iter = this.iter;
    if (iter == null) return false;
    while (iter.hasNext()) {
      const kv = iter.next();
      if (bytesEqual(utf8(kv.key), this.tableKey)) continue; // the table definition itself
      const row = Row.decode(kv.value);
      if (row != null && this.matches(row)) {
        this.pending = row;
        return true;
      }
    }
    return false;
  }

  /** The next row; aborts if there is none. */
  next(): Row {
    if (!this.hasNext()) abort("No more rows");
    const row = this.pending!;
    this.pending = null;
    return row;
  }

  /** Releases the underlying state iterator (needed only when stopping early). */
  close(): void {
    const iter = this.iter;
    if (iter != null) iter.close();
    this.single = null;
    this.pending = null;
  }

  /** Every remaining row. */
  toArray(): Array<Row> {
    const rows = new Array<Row>();
    while (this.hasNext()) rows.push(this.next());
    return rows;
  }

  /** The row belongs to the table and its leading key columns equal the requested ones. */
  private matches(row: Row): bool {
    const keys = keyColumnsOf(this.table, row);
    if (!keys.ok) return false;
    const rowKeys = keys.value;
    const wanted = this.key;
    if (rowKeys.length < wanted.length) return false;
    for (let i = 0; i < wanted.length; i++) {
      if (rowKeys[i].type != wanted[i].type) return false;
      if (!bytesEqual(rowKeys[i].keyBytes(), wanted[i].keyBytes())) return false;
    }
    return true;
  }
}

/** Rows whose leading key columns equal `key` (all rows for an empty key). */
export function getRows(tableName: string, key: Array<Column>): Result<RowIterator> {
  const prefix = buildRowKey(tableName, key);
  if (!prefix.ok) return errResult<RowIterator>(prefix.message, prefix.error!.code);
  const table = loadTable(tableName);
  if (!table.ok) return errResult<RowIterator>(table.message, table.error!.code);
  const tableKey = tableNameKey(tableName).value;

  // Fabric's special case: a single-column table is read with GetRow.
  if (table.value.columnDefinitions.length < 2 && key.length > 0) {
    const row = getRow(tableName, key);
    if (!row.ok) return errResult<RowIterator>(row.message, row.error!.code);
    return okResult<RowIterator>(new RowIterator(table.value, tableKey, key, null, row.value));
  }

  const opened = openRange(prefix.value.dataStart, prefix.value.length, 0, 0, true);
  if (!opened.ok) return errResult<RowIterator>("Error fetching rows: " + opened.message, opened.error!.code);
  return okResult<RowIterator>(new RowIterator(table.value, tableKey, key, opened.value, null));
}
