/// Every error a user can cause in the store: one line, `LOCATION: MESSAGE`, where the location names the file and,
/// when there is one, the line or the field (`config.toml: line 4`, `config.toml: lora.rank`, `…/workspace.lock`).
public struct StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case syntax          // TOML that does not parse
        case unknownKey      // a key the schema does not know
        case wrongType       // a value of the wrong TOML type
        case missingKey      // a required key is absent
        case invalidValue    // a value outside its allowed range or set
        case locked          // another live process owns the workspace
        case readOnly        // a write through a read-only workspace
        case notFound        // a run, checkpoint or file that does not exist
        case schema          // a database from an older or newer Lathe than this one can serve
        case io              // the file system refused
        case database        // SQLite refused
    }

    public let kind: Kind
    /// The file, plus `line N` or the dotted field, that the message is about.
    public let location: String
    public let message: String

    public init(_ kind: Kind, _ location: String, _ message: String) {
        self.kind = kind
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}
