import ArgumentParser
import Engine
import Foundation

// Errors a user can act on (bad files, fields, flags) print one line on stderr and exit 1; argument-parser's own
// errors keep its usage text.
do {
    var command = try Lathe.parseAsRoot()
    try command.run()
    Runtime.shutdown()
} catch let error as LatheError {
    Runtime.shutdown()
    FileHandle.standardError.write(Data("lathe: \(error.message)\n".utf8))
    exit(1)
} catch {
    Runtime.shutdown()
    Lathe.exit(withError: error)
}
