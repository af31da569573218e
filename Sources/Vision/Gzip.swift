import Engine
import CZlib
import Foundation

/// gzip decompression through zlib. The output grows with what inflate actually produces (never sized by a header),
/// up to `limit` bytes.
enum Gzip {
    static func isGzip(_ data: Data) -> Bool { data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B }

    /// Inflates a whole gzip stream (concatenated members included); `name` is the file named in errors.
    static func decompress(_ data: Data, name: String, limit: Int = 1 << 31) throws -> Data {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer (CRC-32 and size are checked by zlib).
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw LatheError("\(name): zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var out = Data()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        return try data.withUnsafeBytes { (src: UnsafeRawBufferPointer) -> Data in
            guard let base = src.bindMemory(to: Bytef.self).baseAddress else { throw LatheError("\(name): empty gzip file") }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(src.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { b in
                    stream.next_out = b.baseAddress
                    stream.avail_out = uInt(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                out.append(contentsOf: buffer[0..<produced])
                if out.count > limit { throw LatheError("\(name): decompresses to more than \(limit) bytes") }
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (as `cat a.gz b.gz` makes); gunzip reads them all.
                    if stream.avail_in > 0 {
                        guard inflateReset(&stream) == Z_OK else { throw LatheError("\(name): zlib could not restart") }
                        continue
                    }
                    return out
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 { throw LatheError("\(name): truncated gzip stream") }
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 { throw LatheError("\(name): truncated gzip stream") }
                default:
                    let why = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw LatheError("\(name): corrupt gzip data (\(why))")
                }
            }
        }
    }
}
