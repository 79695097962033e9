// asset_management, ported from Fabric v0.6 (examples/chaincode/go/asset_management): access
// control by certificates. The deployer's metadata (an admin certificate) becomes the admin;
// only a caller who proves it holds the admin key may `assign` an asset to an owner (a
// certificate, base64), and only a caller who proves it holds the owner's key may `transfer` it.
// The proof: the transaction's metadata is a signature, by the certificate's key, of
// payload ‖ binding (GetPayload, GetBinding), checked with VerifySignature — the binding ties it
// to this one transaction, so it cannot be copied into another. query `query <asset>` answers the
// owner's certificate. Error texts are Fabric's (typos included).
import {
  Chaincode, ChaincodeStub, Response, register, newLogger,
  Column, ColumnDefinition, ColumnType, Row, base64Decode,
} from "sdk-as";

const logger = newLogger("asset_mgm");
const TABLE = "AssetsOwnership";

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Verifies sigma = Sign(certificate.sk, payload ‖ binding) against the certificate's key; false on any error. */
function isCaller(stub: ChaincodeStub, certificate: Uint8Array): bool {
  const sigma = stub.getCallerMetadata();
  const payload = stub.getPayload();
  const binding = stub.getBinding();
  if (!sigma.ok || !payload.ok || !binding.ok) {
    logger.error("Failed getting metadata, payload or binding");
    return false;
  }
  const ok = stub.verifySignature(certificate, sigma.value, concat(payload.value, binding.value));
  if (!ok.ok || !ok.value) {
    logger.error("Invalid signature");
    return false;
  }
  return true;
}

function assetKey(asset: string): Array<Column> {
  return [Column.fromString(asset)];
}

class AssetManagementChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != 0) return Response.error("Incorrect number of arguments. Expecting 0");
    const created = stub.createTable(TABLE, [
      new ColumnDefinition("Asset", ColumnType.STRING, true),
      new ColumnDefinition("Owner", ColumnType.BYTES, false),
    ]);
    if (created != null) return Response.error("Failed creating AssetsOnwership table.");
    const adminCert = stub.getCallerMetadata();
    if (!adminCert.ok) return Response.error("Failed getting metadata.");
    if (adminCert.value.length == 0) return Response.error("Invalid admin certificate. Empty.");
    const err = stub.putState("admin", adminCert.value);
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn == "assign") return this.assign(stub, args);
    if (fn == "transfer") return this.transfer(stub, args);
    return Response.error("Received unknown function invocation");
  }

  assign(stub: ChaincodeStub, args: Array<string>): Response {
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
    const owner = base64Decode(args[1]);
    if (!owner.ok) return Response.error("Failed decodinf owner");
    const admin = stub.getState("admin");
    if (admin == null) return Response.error("Failed fetching admin identity");
    if (!isCaller(stub, admin)) return Response.error("The caller is not an administrator");
    const inserted = stub.insertRow(TABLE, new Row([Column.fromString(args[0]), Column.fromBytes(owner.value)]));
    if (!inserted.ok) return Response.error(inserted.message);
    if (!inserted.value) return Response.error("Asset was already assigned.");
    return Response.success();
  }

  transfer(stub: ChaincodeStub, args: Array<string>): Response {
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
    const asset = args[0];
    const newOwner = base64Decode(args[1]);
    if (!newOwner.ok) return Response.error("Failed decoding owner");
    const row = stub.getRow(TABLE, assetKey(asset));
    if (!row.ok) return Response.error("Failed retrieving asset [" + asset + "]: [" + row.message + "]");
    if (row.value.columns.length < 2) return Response.error("Invalid previous owner. Nil");
    const previous = row.value.columns[1].getBytes();
    if (previous.length == 0) return Response.error("Invalid previous owner. Nil");
    if (!isCaller(stub, previous)) return Response.error("The caller is not the owner of the asset");
    const deleted = stub.deleteRow(TABLE, assetKey(asset));
    if (deleted != null) return Response.error("Failed deliting row.");
    const inserted = stub.insertRow(TABLE, new Row([Column.fromString(asset), Column.fromBytes(newOwner.value)]));
    if (!inserted.ok) return Response.error("Failed inserting row.");
    return Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "query") return Response.error("Invalid query function name. Expecting 'query'");
    if (args.length != 1) return Response.error("Incorrect number of arguments. Expecting name of an asset to query");
    const asset = args[0];
    const row = stub.getRow(TABLE, assetKey(asset));
    if (!row.ok) return Response.error("Failed retriving asset [" + asset + "]: [" + row.message + "]");
    if (row.value.columns.length < 2) return Response.success(new Uint8Array(0));
    return Response.success(row.value.columns[1].getBytes());
  }
}

register(new AssetManagementChaincode());
export * from "sdk-as/exports";
