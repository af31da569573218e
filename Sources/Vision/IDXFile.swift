import Engine
import Foundation

/// An IDX array (LeCun's MNIST format) of unsigned bytes: big-endian header `00 00 08 D`, D big-endian u32
/// dimensions, then the values row-major. Files may be plain or gzip'd.
public struct IDXArray: Sendable {
    public let dims: [Int]
    public let bytes: [UInt8]

    public var count: Int { dims.first ?? 0 }

    static let typeNames: [UInt8: String] = [0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short", 0x0C: "int",
                                              0x0D: "float", 0x0E: "double"]

    /// Parses `data` (already decompressed); `name` is the file named in every error.
    public init(parsing data: Data, name: String) throws {
        let b = [UInt8](data)
        guard b.count >= 4 else { throw LatheError("\(name): \(b.count) bytes is too short for an IDX header (4 bytes of magic number)") }
        guard b[0] == 0, b[1] == 0 else {
            throw LatheError("\(name): bad magic number \(String(format: "%02x %02x %02x %02x", b[0], b[1], b[2], b[3])) (an IDX file starts 00 00 <type> <dims>)")
        }
        guard b[2] == 0x08 else {
            let t = IDXArray.typeNames[b[2]].map { "\($0) (0x\(String(b[2], radix: 16)))" } ?? "0x\(String(b[2], radix: 16))"
            throw LatheError("\(name): IDX data type \(t) is not supported: images and labels must be unsigned bytes (0x08)")
        }
        let d = Int(b[3])
        guard d >= 1 else { throw LatheError("\(name): IDX header declares 0 dimensions") }
        let headerBytes = 4 + 4 * d
        guard b.count >= headerBytes else {
            throw LatheError("\(name): file is \(b.count) bytes, too short for the header of \(d) dimensions (\(headerBytes) bytes)")
        }
        var dims: [Int] = []
        var total = 1
        for i in 0..<d {
            let o = 4 + 4 * i
            let v = Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
            dims.append(v)
            // Checked against the file size before anything is allocated from it.
            let (m, overflow) = total.multipliedReportingOverflow(by: v)
            guard !overflow, m <= b.count else {
                throw LatheError("\(name): dimensions \(dims)… need more values than the file's \(b.count) bytes hold")
            }
            total = m
        }
        let have = b.count - headerBytes
        guard have >= total else {
            throw LatheError("\(name): short file: dimensions \(dims) need \(total) bytes of data, the file has \(have)")
        }
        guard have == total else {
            throw LatheError("\(name): \(have - total) bytes of trailing data after the \(total) the dimensions \(dims) declare")
        }
        self.dims = dims
        self.bytes = Array(b[headerBytes...])
    }

    /// An unsigned-byte IDX file's bytes: the header for `dims`, then `bytes` (test fixtures, exported subsets).
    public static func encoded(dims: [Int], bytes: [UInt8]) -> Data {
        var d = Data([0, 0, 8, UInt8(dims.count)])
        for v in dims { d.append(contentsOf: [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]) }
        d.append(contentsOf: bytes)
        return d
    }

    /// Reads a plain or gzip'd IDX file.
    public init(contentsOf url: URL) throws {
        let name = url.path
        let raw: Data
        do { raw = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw LatheError("\(name): cannot read (\(error.localizedDescription))")
        }
        let data = Gzip.isGzip(raw) ? try Gzip.decompress(raw, name: name) : raw
        try self.init(parsing: data, name: name)
    }
}
