// asset_table: the Fabric v0.6 table API end to end, every call and every column type.
// Init creates the table "Assets" (category STRING key, serial UINT64 key, owner BYTES,
// quantity INT32, value INT64, batch UINT32, frozen BOOL). Domain functions: issue, transfer,
// freeze (invoke) and asset, assets (query). Generic functions reach any table and every error
// string of the API: define, insert, replace, delete, drop (invoke; as queries they show the
// read-only error) and table, get, rows (query).
// Cells are written "TYPE:value" (e.g. INT32:-5, BOOL:true, BYTES:raw text); rows come back as
// JSON arrays of such cells.
import {
  Chaincode, ChaincodeStub, Response, Result, okResult, errResult, register,
  Column, ColumnDefinition, ColumnType, Row, columnTypeName,
  parseI32, parseI64, parseU32, parseU64, utf8, str, jsonQuote, jsonStringArray,
} from "sdk-as";

const ASSETS = "Assets";

function typeFromName(name: string): i32 {
  for (let t = ColumnType.STRING; t <= ColumnType.BOOL; t++) {
    if (columnTypeName(t) == name) return t;
  }
  const n = parseI32(name);
  return n.ok ? n.value : -1; // numeric types pass through, so invalid ones reach CreateTable's check
}

/** "name:TYPE[:key]" → a column definition. */
function parseDefinition(spec: string): ColumnDefinition {
  const parts = spec.split(":");
  const type = parts.length > 1 ? typeFromName(parts[1]) : ColumnType.STRING;
  return new ColumnDefinition(parts[0], type, parts.length > 2 && parts[2] == "key");
}

/** "TYPE:value" → a column. */
function parseCell(spec: string): Result<Column> {
  const colon = spec.indexOf(":");
  if (colon < 0) return errResult<Column>("Invalid cell '" + spec + "': expected TYPE:value");
  const type = spec.substring(0, colon);
  const text = spec.substring(colon + 1);
  if (type == "STRING") return okResult<Column>(Column.fromString(text));
  if (type == "BYTES") return okResult<Column>(Column.fromBytes(utf8(text)));
  if (type == "BOOL") {
    if (text != "true" && text != "false") return errResult<Column>("Invalid cell '" + spec + "': expected true or false");
    return okResult<Column>(Column.fromBool(text == "true"));
  }
  if (type == "INT32") { const v = parseI32(text); if (v.ok) return okResult<Column>(Column.fromInt32(v.value)); return errResult<Column>(v.message); }
  if (type == "INT64") { const v = parseI64(text); if (v.ok) return okResult<Column>(Column.fromInt64(v.value)); return errResult<Column>(v.message); }
  if (type == "UINT32") { const v = parseU32(text); if (v.ok) return okResult<Column>(Column.fromUint32(v.value)); return errResult<Column>(v.message); }
  if (type == "UINT64") { const v = parseU64(text); if (v.ok) return okResult<Column>(Column.fromUint64(v.value)); return errResult<Column>(v.message); }
  return errResult<Column>("Invalid cell '" + spec + "': unknown type " + type);
}

function parseCells(specs: Array<string>): Result<Array<Column>> {
  const columns = new Array<Column>();
  for (let i = 0; i < specs.length; i++) {
    const cell = parseCell(specs[i]);
    if (!cell.ok) return errResult<Array<Column>>(cell.message);
    columns.push(cell.value);
  }
  return okResult<Array<Column>>(columns);
}

function cellText(c: Column): string {
  const name = columnTypeName(c.type);
  switch (c.type) {
    case ColumnType.STRING: return name + ":" + c.getString();
    case ColumnType.INT32: return name + ":" + c.getInt32().toString();
    case ColumnType.INT64: return name + ":" + c.getInt64().toString();
    case ColumnType.UINT32: return name + ":" + c.getUint32().toString();
    case ColumnType.UINT64: return name + ":" + c.getUint64().toString();
    case ColumnType.BYTES: return name + ":" + str(c.getBytes());
    case ColumnType.BOOL: return name + ":" + (c.getBool() ? "true" : "false");
    default: return "NONE:";
  }
}

function rowJson(row: Row): string {
  const cells = new Array<string>();
  for (let i = 0; i < row.columns.length; i++) cells.push(cellText(row.columns[i]));
  return jsonStringArray(cells);
}

function boolText(b: bool): string {
  return b ? "true" : "false";
}

class AssetTable extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    const err = stub.createTable(ASSETS, [
      new ColumnDefinition("category", ColumnType.STRING, true),
      new ColumnDefinition("serial", ColumnType.UINT64, true),
      new ColumnDefinition("owner", ColumnType.BYTES, false),
      new ColumnDefinition("quantity", ColumnType.INT32, false),
      new ColumnDefinition("value", ColumnType.INT64, false),
      new ColumnDefinition("batch", ColumnType.UINT32, false),
      new ColumnDefinition("frozen", ColumnType.BOOL, false),
    ]);
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn == "issue") return this.issue(stub, args);
    if (fn == "transfer" || fn == "freeze") return this.update(stub, fn, args);
    if (fn == "define") {
      if (args.length < 1) return Response.error("define <table> <name:TYPE[:key]>...");
      const defs = new Array<ColumnDefinition>();
      for (let i = 1; i < args.length; i++) defs.push(parseDefinition(args[i]));
      const err = stub.createTable(args[0], defs);
      return err != null ? Response.fromError(err) : Response.success();
    }
    if (fn == "drop") {
      if (args.length != 1) return Response.error("drop <table>");
      const err = stub.deleteTable(args[0]);
      return err != null ? Response.fromError(err) : Response.success();
    }
    if (fn == "insert" || fn == "replace" || fn == "delete") {
      if (args.length < 1) return Response.error(fn + " <table> <TYPE:value>...");
      const cells = parseCells(args.slice(1));
      if (!cells.ok) return Response.error(cells.message);
      if (fn == "delete") {
        const err = stub.deleteRow(args[0], cells.value);
        return err != null ? Response.fromError(err) : Response.success();
      }
      const done = fn == "insert" ? stub.insertRow(args[0], new Row(cells.value)) : stub.replaceRow(args[0], new Row(cells.value));
      if (!done.ok) return Response.fromError(done.error!);
      return Response.successString(boolText(done.value));
    }
    return Response.error("Unsupported operation");
  }

  /** issue <category> <serial> <owner> <quantity> <value> <batch> */
  private issue(stub: ChaincodeStub, args: Array<string>): Response {
    if (args.length != 6) return Response.error("Incorrect number of arguments. Expecting 6");
    const serial = parseU64(args[1]);
    const quantity = parseI32(args[3]);
    const value = parseI64(args[4]);
    const batch = parseU32(args[5]);
    if (!serial.ok || !quantity.ok || !value.ok || !batch.ok) return Response.error("Expecting integer values for serial, quantity, value and batch");
    const inserted = stub.insertRow(ASSETS, new Row([
      Column.fromString(args[0]),
      Column.fromUint64(serial.value),
      Column.fromBytes(utf8(args[2])),
      Column.fromInt32(quantity.value),
      Column.fromInt64(value.value),
      Column.fromUint32(batch.value),
      Column.fromBool(false),
    ]));
    if (!inserted.ok) return Response.fromError(inserted.error!);
    if (!inserted.value) return Response.error("Asset " + args[0] + "/" + args[1] + " already exists");
    return Response.success();
  }

  /** transfer <category> <serial> <newOwner> | freeze <category> <serial> */
  private update(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != (fn == "transfer" ? 3 : 2)) return Response.error("Incorrect number of arguments");
    const serial = parseU64(args[1]);
    if (!serial.ok) return Response.error("Expecting integer value for serial");
    const found = stub.getRow(ASSETS, [Column.fromString(args[0]), Column.fromUint64(serial.value)]);
    if (!found.ok) return Response.fromError(found.error!);
    const row = found.value;
    if (row.columns.length == 0) return Response.error("Asset " + args[0] + "/" + args[1] + " not found");
    if (row.columns[6].getBool()) return Response.error("Asset " + args[0] + "/" + args[1] + " is frozen");
    if (fn == "transfer") row.columns[2] = Column.fromBytes(utf8(args[2]));
    else row.columns[6] = Column.fromBool(true);
    const replaced = stub.replaceRow(ASSETS, row);
    if (!replaced.ok) return Response.fromError(replaced.error!);
    return Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    // writes attempted from a query must fail with the host's read-only error: let them try
    if (fn == "define" || fn == "insert" || fn == "replace" || fn == "delete" || fn == "drop") return this.invoke(stub, fn, args);
    if (fn == "asset") {
      if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
      const serial = parseU64(args[1]);
      if (!serial.ok) return Response.error("Expecting integer value for serial");
      const row = stub.getRow(ASSETS, [Column.fromString(args[0]), Column.fromUint64(serial.value)]);
      if (!row.ok) return Response.fromError(row.error!);
      return Response.successString(rowJson(row.value));
    }
    if (fn == "assets") return this.rows(stub, ASSETS, args.length > 0 ? ["STRING:" + args[0]] : new Array<string>());
    if (fn == "table") {
      if (args.length != 1) return Response.error("table <table>");
      const table = stub.getTable(args[0]);
      if (!table.ok) return Response.fromError(table.error!);
      const defs = table.value.columnDefinitions;
      const columns = new Array<string>();
      for (let i = 0; i < defs.length; i++) {
        columns.push(defs[i].name + ":" + columnTypeName(defs[i].type) + (defs[i].key ? ":key" : ""));
      }
      return Response.successString("{\"name\":" + jsonQuote(table.value.name) + ",\"columns\":" + jsonStringArray(columns) + "}");
    }
    if (fn == "get") {
      if (args.length < 1) return Response.error("get <table> <TYPE:value>...");
      const cells = parseCells(args.slice(1));
      if (!cells.ok) return Response.error(cells.message);
      const row = stub.getRow(args[0], cells.value);
      if (!row.ok) return Response.fromError(row.error!);
      return Response.successString(rowJson(row.value));
    }
    if (fn == "rows") {
      if (args.length < 1) return Response.error("rows <table> <TYPE:value>...");
      return this.rows(stub, args[0], args.slice(1));
    }
    return Response.error("Unsupported operation");
  }

  private rows(stub: ChaincodeStub, table: string, specs: Array<string>): Response {
    const cells = parseCells(specs);
    if (!cells.ok) return Response.error(cells.message);
    const rows = stub.getRows(table, cells.value);
    if (!rows.ok) return Response.fromError(rows.error!);
    const iter = rows.value;
    let out = "[";
    let first = true;
    while (iter.hasNext()) {
      if (!first) out += ",";
      out += rowJson(iter.next());
      first = false;
    }
    return Response.successString(out + "]");
  }
}

register(new AssetTable());
export * from "sdk-as/exports";
