import ArgumentParser
import CASCore
import CASStorage
import Foundation

/// `caslite users add|remove|list|passwd NAME --data DIR`: manages the accounts `serve --auth password` checks.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users (stored in <data>/server.sqlite as Argon2id hashes).",
        subcommands: [Add.self, Remove.self, List.self, Passwd.self])

    struct Store: ParsableArguments {
        @Option(name: .long, help: "Data folder of the server.")
        var data: String = "./caslite-data"

        func open() throws -> ServerStore {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            return try ServerStore(path: RealPath.resolve(data) + "/server.sqlite")
        }
    }

    struct PasswordInput: ParsableArguments {
        @Flag(name: .long, help: "Read the password from standard input (one line) instead of prompting.")
        var passwordStdin = false

        func read(confirm: Bool) throws -> String {
            let pw: String
            if passwordStdin {
                guard let line = readLine(strippingNewline: true) else { throw CommandLineError(description: "no password on standard input") }
                pw = line
            } else {
                pw = String(cString: getpass("Password: "))
                if confirm, String(cString: getpass("Again: ")) != pw { throw CommandLineError(description: "the passwords differ") }
            }
            guard pw.count >= 4 else { throw CommandLineError(description: "a password needs at least 4 characters") }
            return pw
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user.")
        @OptionGroup var store: Store
        @OptionGroup var input: PasswordInput
        @Flag(name: .long, help: "Give the user the administrator role.") var admin = false
        @Argument(help: "User name.") var name: String

        func validate() throws {
            if let problem = Names.problem(name, .user) { throw ValidationError("the user name \(Names.quote(name)) is not valid: \(problem)") }
        }

        func run() async throws {
            let s = try store.open()
            try await s.addUser(name, password: try input.read(confirm: true), admin: admin, now: ServerClock.now)
            print("added user \(name)\(admin ? " (administrator)" : "")")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user.")
        @OptionGroup var store: Store
        @Argument(help: "User name.") var name: String
        func run() async throws {
            try await store.open().removeUser(name)
            print("removed user \(name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var store: Store
        func run() async throws {
            for u in try await store.open().users() { print("\(u.name)\(u.isAdmin ? "  admin" : "")") }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's password.")
        @OptionGroup var store: Store
        @OptionGroup var input: PasswordInput
        @Argument(help: "User name.") var name: String
        func run() async throws {
            try await store.open().setPassword(name, password: try input.read(confirm: true))
            print("changed the password of \(name)")
        }
    }
}
