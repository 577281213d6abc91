import CASCore
import CASStorage
import CASWire

/// caslite's analytic store: a model table and its weights in one blob, kept in a one-row table
/// (`_Key_` the model name, `_State_` the blob) as `dlExportModel casOut=` writes it, and as a file
/// through `astore.download` / `astore.upload`.
///
/// The blob is the line `CASLITE-ASTORE 2`, the line `blake2b <hex digest of the rest>`, then one JSON
/// object `{"model": <model table>, "weights": <weights table>}` with both tables in the protocol's table
/// form (docs/protocol.md "Values"). The digest catches damage the JSON parser cannot see (a changed digit
/// of a weight). Version 1 blobs (no digest line) are still read. It is not SAS's ASTORE format: SAS's
/// `astore` files cannot be read, and caslite's cannot be read by SAS.
enum AStore {
    static let magic = Array("CASLITE-ASTORE 2\n".utf8)
    static let magicV1 = Array("CASLITE-ASTORE 1\n".utf8)
    static let digestPrefix = Array("blake2b ".utf8)

    static func blob(model m: ModelTable, weights w: WeightsTable) -> [UInt8] {
        let body = Value.dict(["model": .table(m.table(name: m.modelName)), "weights": .table(w.table(name: "\(m.modelName)_weights"))]).jsonBytes()
        return magic + digestPrefix + Array(Secrets.digest(body).utf8) + [UInt8(ascii: "\n")] + body
    }

    static func table(model m: ModelTable, weights w: WeightsTable, name: String) -> DataTable {
        DataTable(name: name, label: "Analytic store of model \(m.modelName)", columns: [
            Column(name: "_Key_", data: .varchar([m.modelName.uppercased()])),
            Column(name: "_State_", data: .varbinary([blob(model: m, weights: w)])),
        ])
    }

    /// The blob of an analytic store table (`parameter` names the table in errors).
    static func blob(of t: DataTable, parameter: String) throws(ActionError) -> (key: String, blob: [UInt8]) {
        guard t.rowCount == 1, case .varbinary(let states)? = t.column("_State_")?.data, let state = states[0],
              case .varchar(let keys)? = t.column("_Key_")?.data else {
            throw ActionError(.parameterValue, "Table \(t.name) is not an analytic store: expected one row with columns _Key_ and _State_ "
                              + "(as deepLearn.dlExportModel casOut= writes).", parameter: parameter)
        }
        return (keys[0] ?? "", state)
    }

    /// The analytic store table `ref` names (read through the table gate) and its blob.
    static func stored(_ ref: TableRef, _ ctx: ActionContext) async throws(ActionError) -> (key: String, blob: [UInt8]) {
        let t = try await ctx.table(ref, parameter: "rstore")
        return try blob(of: t.data, parameter: "rstore")
    }

    /// The model and weights in a blob; anything else is refused with what was expected.
    static func read(_ blob: [UInt8], parameter: String) throws(ActionError) -> (ModelTable, WeightsTable) {
        let json: [UInt8]
        if blob.starts(with: magic) {
            let rest = blob.dropFirst(magic.count)
            guard rest.starts(with: digestPrefix), let end = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                throw ActionError(.parameterValue, "The analytic store is damaged: its digest line is missing.", parameter: parameter)
            }
            json = Array(rest[(end + 1)...])
            guard String(decoding: rest[(rest.startIndex + digestPrefix.count)..<end], as: UTF8.self) == Secrets.digest(json) else {
                throw ActionError(.parameterValue, "The analytic store is damaged: its contents do not match its digest.", parameter: parameter)
            }
        } else if blob.starts(with: magicV1) {
            json = Array(blob[magicV1.count...])
        } else {
            throw ActionError(.parameterValue, "The data is not a caslite analytic store (it does not start with \"CASLITE-ASTORE\"); "
                              + "SAS ASTORE files cannot be read.", parameter: parameter)
        }
        let body: Value
        do { body = try JSONParser.parse(json) } catch {
            throw ActionError(.parameterValue, "The analytic store is damaged: \(error.description).", parameter: parameter)
        }
        guard case .table(let model) = body["model"], case .table(let weights) = body["weights"] else {
            throw ActionError(.parameterValue, "The analytic store is damaged: expected a model table and a weights table.", parameter: parameter)
        }
        return (try ModelTable(model), try WeightsTable(weights, parameter: parameter))
    }
}

/// `astore.download`: an analytic store table's blob, for the client to save as a file.
struct AStoreDownload: Action {
    static let name = "download"
    static let summary = "Returns an analytic store table (from deepLearn.dlExportModel casOut=) as the blob result, to save as a file."
    static let rstore = P.table("rstore", "The analytic store table.")
    static let parameters = [rstore.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (key, blob) = try await AStore.stored(args[rstore], ctx)
        ctx.note("Returned the analytic store \(key) (\(blob.count) bytes).")
        return ["key": .string(key), "blob": .blob(blob)]
    }
}

/// `astore.upload`: an analytic store table from a blob that `download` returned.
struct AStoreUpload: Action {
    static let name = "upload"
    static let summary = "Makes an analytic store table from a blob that astore.download returned; then "
        + "astore.describe shows it and deepLearn actions can use its model and weights after astore.extract."
    static let rstore = P.outTable("rstore", "The analytic store table to write.", required: true)
    static let store = P.blob("store", "The analytic store's bytes (base64 in JSON).")
    static let parameters = [rstore.spec, store.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let blob = args[store] ?? []
        let (m, w) = try AStore.read(blob, parameter: "store")
        let stored = try await ctx.store(AStore.table(model: m, weights: w, name: m.modelName), out: args[rstore],
                                         defaultName: "\(m.modelName)_astore", parameter: "rstore")
        ctx.note("Wrote the analytic store of model \(m.modelName) into table \(stored.name).")
        return ["OutputCasTables": .table(.outputCasTables([stored]))]
    }
}

/// `astore.describe`: what an analytic store holds.
struct AStoreDescribe: Action {
    static let name = "describe"
    static let summary = "Describes an analytic store table: its model's layers and its target levels."
    static let rstore = P.table("rstore", "The analytic store table.")
    static let parameters = [rstore.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (key, blob) = try await AStore.stored(args[rstore], ctx)
        let (m, w) = try AStore.read(blob, parameter: "rstore")
        let info: [[Value]] = [
            ["Key", .string(key)], ["Model", .string(m.modelName)], ["Layers", .string(String(m.layers.count))],
            ["Target", .string(w.target ?? "")], ["Levels", .string(w.levels.joined(separator: ", "))],
            ["Bytes", .string(String(blob.count))],
        ]
        let layers = m.layers.enumerated().map { i, l -> [Value] in [.int(Int64(i)), .string(l.name), .string(l.kind.label)] }
        return [
            "Description": .table(.result("Description", label: "Analytic Store", columns: [("Descr", .varchar), ("Value", .varchar)], rows: info)),
            "Layers": .table(.result("Layers", label: "Layers", columns: [("Layer", .int64), ("Name", .varchar), ("Type", .varchar)], rows: layers)),
        ]
    }
}

/// `astore.extract`: the model table and the weights table back out of an analytic store.
struct AStoreExtract: Action {
    static let name = "extract"
    static let summary = "Writes an analytic store's model table and weights table back as session tables (for dlScore, dlTrain)."
    static let rstore = P.table("rstore", "The analytic store table.")
    static let modelOut = P.outTable("modelOut", "The model table (default: the model's name).")
    static let weightsOut = P.outTable("weightsOut", "The weights table (default: <model>_weights).")
    static let parameters = [rstore.spec, modelOut.spec, weightsOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (_, blob) = try await AStore.stored(args[rstore], ctx)
        let (m, w) = try AStore.read(blob, parameter: "rstore")
        let model = try await ctx.store(m.table(name: m.modelName), out: args[modelOut], defaultName: m.modelName, parameter: "modelOut")
        let weights = try await ctx.store(w.table(name: "\(m.modelName)_weights"), out: args[weightsOut],
                                          defaultName: "\(m.modelName)_weights", parameter: "weightsOut")
        return ["OutputCasTables": .table(.outputCasTables([model, weights]))]
    }
}

/// The `astore` action set: caslite's analytic stores (model + weights in one table or file).
public let astoreActionSet = ActionSet(
    name: "astore", summary: "Analytic stores: a model and its weights in one table (deepLearn.dlExportModel casOut=) or file.",
    actions: [AStoreDownload.self, AStoreUpload.self, AStoreDescribe.self, AStoreExtract.self])
