import ArgumentParser

/// The `caslite` command: serve, call, shell, help, docs.
@main
struct Caslite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caslite",
        abstract: "A CAS-style action server: sessions, in-memory tables and action sets over a JSON-lines protocol.",
        discussion: "Without --server, call and shell run against an embedded in-process server over a data folder (default ./caslite-data).",
        subcommands: [Serve.self, Call.self, Run.self, Shell.self, Users.self, Groups.self, Tls.self, Backup.self, Restore.self, ConfigCommand.self, HelpCommand.self, Docs.self])
}
