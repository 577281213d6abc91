import CASCore

/// The `table` action set: loading, inspecting, fetching, altering and dropping tables.
public let tableActionSet = ActionSet(
    name: "table", summary: "Tables: load, upload, add, fetch, describe, alter, partition and drop in-memory tables.",
    actions: [LoadTable.self, Upload.self, AddTable.self, Fetch.self, ColumnInfo.self, TableInfo.self, TableExists.self,
              DropTable.self, AlterTable.self, Attribute.self, Partition.self, Shuffle.self, Promote.self, Save.self, DeleteSource.self,
              AddCaslib.self, DropCaslib.self, CaslibInfo.self, QueryCaslib.self, FileInfo.self, TableDetails.self, View.self])
