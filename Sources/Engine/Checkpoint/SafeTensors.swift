import Foundation
import Tensor

/// A read-only memory map of a whole file.
final class MappedFile: @unchecked Sendable {
    let url: URL
    let base: UnsafeRawPointer
    let size: Int

    init(_ url: URL) throws {
        self.url = url
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw LatheError("\(url.path): cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw LatheError("\(url.path): cannot stat") }
        size = Int(st.st_size)
        if size == 0 {
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64))
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw LatheError("\(url.path): cannot map (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if size == 0 { UnsafeMutableRawPointer(mutating: base).deallocate() }
        else { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }
}

/// One `.safetensors` file: an 8-byte little-endian header length, a JSON header
/// `{name: {"dtype","shape","data_offsets":[begin,end]}}` and the raw data, every offset checked against the file.
public final class SafeTensorsFile: @unchecked Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        public let offset: Int       // absolute byte offset in the file
        public let byteCount: Int
        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let url: URL
    public let entries: [String: Entry]
    public let metadata: [String: String]
    let file: MappedFile

    static let maxHeader = 100 << 20
    static let dtypeSizes: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2,
                                            "I8": 1, "U8": 1, "BOOL": 1]

    public init(_ url: URL) throws {
        self.url = url
        file = try MappedFile(url)
        let name = url.lastPathComponent
        guard file.size >= 8 else { throw LatheError("\(name): truncated (\(file.size) bytes, no header length)") }
        let n = file.base.loadUnaligned(as: UInt64.self).littleEndian
        guard n <= UInt64(SafeTensorsFile.maxHeader), 8 + Int(n) <= file.size else {
            throw LatheError("\(name): header length \(n) runs past the end of the file (\(file.size) bytes)")
        }
        let headerData = Data(bytes: file.base + 8, count: Int(n))
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw LatheError("\(name): header is not a JSON object")
        }
        let dataStart = 8 + Int(n)
        let dataSize = file.size - dataStart
        var entries: [String: Entry] = [:]
        var meta: [String: String] = [:]
        for (key, value) in header {
            if key == "__metadata__" {
                if let m = value as? [String: Any] { for (k, v) in m { meta[k] = "\(v)" } }
                continue
            }
            guard let info = value as? [String: Any] else { throw LatheError("\(name): tensor \(key): not an object") }
            guard let dtype = info["dtype"] as? String, let size = SafeTensorsFile.dtypeSizes[dtype] else {
                throw LatheError("\(name): tensor \(key): unknown dtype \(String(describing: info["dtype"] ?? "nil"))")
            }
            guard let rawShape = info["shape"] as? [Any] else { throw LatheError("\(name): tensor \(key): missing shape") }
            var shape: [Int] = []
            var count = 1
            for d in rawShape {
                guard let v = (d as? NSNumber)?.intValue, v >= 0, v <= Int(UInt32.max) else {
                    throw LatheError("\(name): tensor \(key): bad shape \(rawShape)")
                }
                let (m, overflow) = count.multipliedReportingOverflow(by: v)
                guard !overflow else { throw LatheError("\(name): tensor \(key): shape \(rawShape) overflows") }
                count = m
                shape.append(v)
            }
            guard let offs = info["data_offsets"] as? [Any], offs.count == 2,
                  let begin = (offs[0] as? NSNumber)?.intValue, let end = (offs[1] as? NSNumber)?.intValue,
                  begin >= 0, end >= begin else {
                throw LatheError("\(name): tensor \(key): bad data_offsets")
            }
            guard end <= dataSize else {
                throw LatheError("\(name): tensor \(key): data_offsets [\(begin), \(end)] run past the end of the file (data is \(dataSize) bytes)")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, bytes == end - begin else {
                throw LatheError("\(name): tensor \(key): shape \(shape) × \(dtype) needs \(bytes) bytes, data_offsets give \(end - begin)")
            }
            entries[key] = Entry(name: key, dtype: dtype, shape: shape, offset: dataStart + begin, byteCount: bytes)
        }
        self.entries = entries
        self.metadata = meta
    }

    public func pointer(_ entry: Entry) -> UnsafeRawPointer { file.base + entry.offset }

    /// The tensor as a weight matrix [rows, cols] in `target` precision (f32 compute) or as stored (`target == nil`
    /// keeps bf16/f16 as they are and f32 as f32). Zero-copy when no conversion is needed.
    public func matrix(_ entry: Entry, rows: Int, cols: Int, keep target: WeightDType?) throws -> WeightMatrix {
        let stored: WeightDType
        switch entry.dtype {
        case "F32": stored = .f32
        case "BF16": stored = .bf16
        case "F16": stored = .f16
        default: throw LatheError("\(url.lastPathComponent): tensor \(entry.name): dtype \(entry.dtype) is not a float type (F32, F16, BF16)")
        }
        guard entry.elementCount == rows * cols else {
            throw LatheError("\(url.lastPathComponent): tensor \(entry.name): shape \(entry.shape), expected [\(rows), \(cols)]")
        }
        let p = pointer(entry)
        let view = WeightMatrix(rows: rows, cols: cols, dtype: stored, base: p, owner: file)
        let want = target ?? stored
        if want == stored && Int(bitPattern: p) % stored.byteSize == 0 { return view }
        if want == stored {  // misaligned: copy
            let buf = ByteBuffer(byteCount: entry.byteCount)
            buf.pointer.copyMemory(from: p, byteCount: entry.byteCount)
            return WeightMatrix(rows: rows, cols: cols, dtype: stored, base: UnsafeRawPointer(buf.pointer), owner: buf)
        }
        return view.converted(to: want)
    }
}

/// A model's weights: one safetensors file, or the shards listed in `model.safetensors.index.json`.
public final class SafeTensorsArchive: @unchecked Sendable {
    public let directory: URL
    public private(set) var files: [SafeTensorsFile] = []
    private var index: [String: (SafeTensorsFile, SafeTensorsFile.Entry)] = [:]
    public private(set) var used: Set<String> = []

    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let indexURL = directory.appendingPathComponent("model.safetensors.index.json")
        let single = directory.appendingPathComponent("model.safetensors")
        if fm.fileExists(atPath: indexURL.path) {
            guard let data = fm.contents(atPath: indexURL.path),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw LatheError("\(indexURL.path): not a JSON object")
            }
            guard let map = obj["weight_map"] as? [String: String] else {
                throw LatheError("\(indexURL.path): weight_map: missing or not an object of strings")
            }
            var opened: [String: SafeTensorsFile] = [:]
            for shard in Set(map.values).sorted() {
                guard !shard.contains("/") else { throw LatheError("\(indexURL.path): weight_map: shard \(shard) is not a file name") }
                let f = try SafeTensorsFile(directory.appendingPathComponent(shard))
                opened[shard] = f
                files.append(f)
            }
            for (key, shard) in map {
                guard let f = opened[shard], let e = f.entries[key] else {
                    throw LatheError("\(shard): tensor \(key) listed in model.safetensors.index.json is missing")
                }
                index[key] = (f, e)
            }
        } else if fm.fileExists(atPath: single.path) {
            let f = try SafeTensorsFile(single)
            files = [f]
            for (k, e) in f.entries { index[k] = (f, e) }
        } else {
            throw LatheError("\(directory.path): no model.safetensors or model.safetensors.index.json")
        }
    }

    public var names: [String] { Array(index.keys) }
    public func contains(_ name: String) -> Bool { index[name] != nil }

    public func entry(_ name: String) throws -> (SafeTensorsFile, SafeTensorsFile.Entry) {
        guard let hit = index[name] else {
            throw LatheError("\(directory.lastPathComponent): tensor \(name) is missing from the checkpoint")
        }
        used.insert(name)
        return hit
    }

    /// A [rows, cols] matrix; the stored shape must equal [rows, cols] exactly.
    public func matrix(_ name: String, _ rows: Int, _ cols: Int, keep: WeightDType?) throws -> WeightMatrix {
        let (f, e) = try entry(name)
        guard e.shape == [rows, cols] else {
            throw LatheError("\(f.url.lastPathComponent): tensor \(name): shape \(e.shape), config says [\(rows), \(cols)]")
        }
        return try f.matrix(e, rows: rows, cols: cols, keep: keep)
    }

    /// A tensor whose shape must equal `shape`, as a matrix [shape[0], product of the rest].
    public func matrix(_ name: String, shape: [Int], keep: WeightDType?) throws -> WeightMatrix {
        let (f, e) = try entry(name)
        guard e.shape == shape else {
            throw LatheError("\(f.url.lastPathComponent): tensor \(name): shape \(e.shape), config says \(shape)")
        }
        return try f.matrix(e, rows: shape[0], cols: shape.dropFirst().reduce(1, *), keep: keep)
    }

    /// A 1-D fp32 vector of length n.
    public func vector(_ name: String, _ n: Int) throws -> FloatBuffer {
        let m = try matrix(name, shape: [n], keep: .f32)
        let buf = FloatBuffer(count: n)
        m.widen(into: buf.pointer)
        return buf
    }

    /// Names present in the files but never read.
    public var unused: [String] { index.keys.filter { !used.contains($0) }.sorted() }
}
