import ArgumentParser
import CASCore
import CASStorage

/// `caslite groups add|remove|list|add-member|remove-member`: manages the groups access controls
/// name with `identityType="Group"` (the same as the administrator actions `accessControl.addGroup`, …).
/// A running server sees every change at its next access check.
struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage groups of users (stored in <data>/server.sqlite; a running server applies changes at each user's next call).",
        subcommands: [Add.self, Remove.self, List.self, AddMember.self, RemoveMember.self])

    /// A group name argument, checked by the one name validator.
    struct GroupName: ParsableArguments {
        @Argument(help: "Group name.") var group: String
        func validate() throws {
            if let problem = Names.problem(group, .group) { throw ValidationError("the group name \(Names.quote(group)) is not valid: \(problem)") }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an empty group.")
        @OptionGroup var store: Users.Store
        @OptionGroup var name: GroupName
        func run() async throws {
            try await store.open().addGroup(name.group, now: ServerClock.now)
            print("added group \(name.group)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a group, its memberships and every access control granted or denied to it.")
        @OptionGroup var store: Users.Store
        @OptionGroup var name: GroupName
        func run() async throws {
            try await store.open().removeGroup(name.group)
            print("removed group \(name.group) and its access controls")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List groups and their members.")
        @OptionGroup var store: Users.Store
        func run() async throws {
            for g in try await store.open().groups() { print("\(g.name): \(g.members.isEmpty ? "(no members)" : g.members.joined(separator: " "))") }
        }
    }

    /// The store, a group and a user: what add-member and remove-member take.
    struct Membership: ParsableArguments {
        @OptionGroup var store: Users.Store
        @OptionGroup var name: GroupName
        @Argument(help: "User name (a user of `caslite users`).") var user: String
    }

    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Add a user to a group.")
        @OptionGroup var m: Membership
        func run() async throws {
            let r = try await m.store.open().addMember(m.user, to: m.name.group)
            print(r.added ? "added \(m.user) to group \(r.group)" : "\(m.user) is already a member of group \(r.group)")
        }
    }

    struct RemoveMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-member", abstract: "Remove a user from a group.")
        @OptionGroup var m: Membership
        func run() async throws { print("removed \(m.user) from group \(try await m.store.open().removeMember(m.user, from: m.name.group))") }
    }
}
