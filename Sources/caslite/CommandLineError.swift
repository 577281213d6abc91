/// A mistake in what was typed (a parameter word, a password): printed as one `Error:` line, without
/// ArgumentParser's usage block (which `ValidationError` adds).
struct CommandLineError: Error, CustomStringConvertible {
    var description: String
}
