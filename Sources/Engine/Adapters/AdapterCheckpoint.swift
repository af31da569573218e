import Durability
import Foundation
import Tensor

/// A training checkpoint of one adapter: the PEFT adapter (loadable by PEFT as is), the AdamW moments, and a JSON
/// state (step, version, the exact LoRA config, and an opaque caller state such as the data iterator and RNG).
/// Loading restores every float bit for bit, so training resumes exactly (at a fixed thread count).
public enum AdapterCheckpoint {
    struct State: Codable {
        var format = "lathe-adapter-checkpoint-1"
        var step: Int
        var version: Int
        var lora: LoRAConfig
        var modules: [String]
        var caller: Data?
    }

    /// Writes `directory` (replaced if it exists) through a temporary sibling renamed into place.
    public static func save(_ adapter: TrainableAdapter, to directory: URL, baseModel: String, callerState: Data? = nil) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let tmp = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(getpid())")
        try? fm.removeItem(at: tmp)
        try writeContents(adapter, into: tmp, baseModel: baseModel, callerState: callerState)
        if fm.fileExists(atPath: directory.path) { try fm.removeItem(at: directory) }
        guard rename(tmp.path, directory.path) == 0 else {
            throw LatheError("\(directory.path): cannot move the checkpoint into place (\(String(cString: strerror(errno))))")
        }
        let dfd = open(parent.path, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Writes the checkpoint files into `directory` (created if needed); the caller makes the folder appear atomically.
    public static func writeContents(_ adapter: TrainableAdapter, into dir: URL, baseModel: String, callerState: Data? = nil) throws {
        try PEFTAdapter.save(adapter.lora, to: dir, baseModel: baseModel)
        var moments: [SafeTensorsWriter.Tensor] = []
        for (k, t) in adapter.optimizedTensors.enumerated() {
            moments.append(.init(name: t.name + ".exp_avg", shape: [t.count], values: adapter.optimizer.m[k].array))
            moments.append(.init(name: t.name + ".exp_avg_sq", shape: [t.count], values: adapter.optimizer.v[k].array))
        }
        try SafeTensorsWriter.write(moments, to: dir.appendingPathComponent("optimizer.safetensors"))
        // The exact weights again in Lathe's own naming: the PEFT copy may carry a compensated α (rsLoRA).
        var weights: [SafeTensorsWriter.Tensor] = []
        for m in adapter.lora.modules {
            weights.append(.init(name: m.path + ".lora_A", shape: [m.rank, m.inDim], values: m.a.array))
            weights.append(.init(name: m.path + ".lora_B", shape: [m.outDim, m.rank], values: m.b.array))
        }
        try SafeTensorsWriter.write(weights, to: dir.appendingPathComponent("lora.safetensors"))
        let state = State(step: adapter.optimizer.step, version: adapter.lora.version, lora: adapter.lora.config,
                          modules: adapter.lora.modules.map(\.path), caller: callerState)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(state), to: dir.appendingPathComponent("state.json"))
    }

    /// Restores weights, moments, step and version into `adapter` (created with the same config); returns the
    /// caller state saved with it.
    @discardableResult
    public static func load(into adapter: TrainableAdapter, from directory: URL) throws -> Data? {
        let stateURL = directory.appendingPathComponent("state.json")
        guard let data = FileManager.default.contents(atPath: stateURL.path) else {
            throw LatheError("\(stateURL.path): missing (not a complete checkpoint)")
        }
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: data) }
        catch let e as DecodingError { throw LatheError("\(stateURL.path): \(describe(e))") }
        guard state.lora == adapter.lora.config, state.modules == adapter.lora.modules.map(\.path) else {
            throw LatheError("\(stateURL.path): the checkpoint's LoRA config differs from the run's")
        }
        let w = try SafeTensorsFile(directory.appendingPathComponent("lora.safetensors"))
        let o = try SafeTensorsFile(directory.appendingPathComponent("optimizer.safetensors"))
        func read(_ f: SafeTensorsFile, _ name: String, into p: UnsafeMutablePointer<Float>, count: Int) throws {
            guard let e = f.entries[name], e.dtype == "F32", e.elementCount == count else {
                throw LatheError("\(f.url.lastPathComponent): tensor \(name) is missing or has the wrong size")
            }
            UnsafeMutableRawPointer(p).copyMemory(from: f.pointer(e), byteCount: count * 4)
        }
        for m in adapter.lora.modules {
            try read(w, m.path + ".lora_A", into: m.a.pointer, count: m.a.count)
            try read(w, m.path + ".lora_B", into: m.b.pointer, count: m.b.count)
        }
        for (k, t) in adapter.optimizedTensors.enumerated() {
            try read(o, t.name + ".exp_avg", into: adapter.optimizer.m[k].pointer, count: t.count)
            try read(o, t.name + ".exp_avg_sq", into: adapter.optimizer.v[k].pointer, count: t.count)
        }
        adapter.optimizer.restore(step: state.step)
        adapter.lora.version = state.version
        adapter.lora.zeroGrad()
        return state.caller
    }
}
