/// Endless training batches over a fixed list of examples: each epoch visits every example once in an order drawn from
/// `(seed, epoch)`, and the next epoch starts where the previous one ends — a batch may straddle two epochs.
///
/// Layouts:
/// - `padded`: each example is its own row (rows keep their own lengths, so no pad tokens are needed).
/// - `packed(rowLength:)`: examples are concatenated, in order, into rows of exactly `rowLength` tokens; an example
///   that does not fit is continued in the next row. Weights travel with their tokens, except that a row's first
///   weight is 0 (nothing in the row predicts it). Attention is not masked at example boundaries — a token may attend
///   to the end of the previous example, as in simple packing; example starts carry weight 0, so no loss is taken
///   across a boundary.
///
/// The position is `state`, a small Codable value: store it in a checkpoint and `init(…, resumingFrom:)` continues
/// with bit-for-bit the batches the uninterrupted run would have produced.
public struct BatchIterator: Sendable {
    public enum Layout: Equatable, Sendable {
        case padded
        case packed(rowLength: Int)
    }

    public struct State: Codable, Equatable, Sendable {
        /// Chooses every epoch's order: epoch e is shuffled by `SplitMix64.stream(seed: seed, e)`.
        public var seed: UInt64
        public var epoch: Int
        /// Examples of this epoch's order fully emitted.
        public var position: Int
        /// Tokens of the next example already emitted (packing splits examples across rows).
        public var offset: Int
        /// How many examples the state was made for: resuming on a different dataset is refused.
        public var exampleCount: Int

        enum CodingKeys: String, CodingKey {
            case seed, epoch, position, offset, exampleCount = "example_count"
        }
    }

    public let examples: [TokenizedExample]
    public let layout: Layout
    public private(set) var state: State
    /// Whether epochs are shuffled; when false every epoch is in the given order.
    public let shuffles: Bool
    /// This epoch's order: indices into `examples`.
    private var order: [Int]

    /// Starts at epoch 0.
    public init(examples: [TokenizedExample], layout: Layout, seed: UInt64, shuffles: Bool = true) {
        precondition(!examples.isEmpty, "no examples to batch")
        precondition(examples.allSatisfy { $0.count > 0 }, "empty example")
        if case .packed(let rowLength) = layout { precondition(rowLength > 0, "rowLength must be positive") }
        self.examples = examples
        self.layout = layout
        self.shuffles = shuffles
        state = State(seed: seed, epoch: 0, position: 0, offset: 0, exampleCount: examples.count)
        order = Self.order(count: examples.count, seed: seed, epoch: 0, shuffles: shuffles)
    }

    /// Continues from a stored `state`; fails if it does not fit these examples.
    public init(
        examples: [TokenizedExample], layout: Layout, resumingFrom state: State, shuffles: Bool = true
    ) throws(DatasetError) {
        self.init(examples: examples, layout: layout, seed: state.seed, shuffles: shuffles)
        func fail(_ problem: String) -> DatasetError { DatasetError(source: "data position", problem) }
        guard state.exampleCount == examples.count else {
            throw fail("saved for \(state.exampleCount) training examples, but the dataset now has "
                + "\(examples.count): it changed since the checkpoint")
        }
        guard state.epoch >= 0, state.position >= 0, state.position < examples.count else {
            throw fail("epoch \(state.epoch), position \(state.position) is outside 0..<\(examples.count)")
        }
        let next = examples[order(forEpoch: state.epoch)[state.position]]
        guard state.offset >= 0, state.offset < next.count, state.offset == 0 || layout != .padded else {
            throw fail("offset \(state.offset) does not fit the next example (\(next.count) tokens, \(layout))")
        }
        self.state = state
        order = order(forEpoch: state.epoch)
    }

    /// Epochs completed plus the fraction of the current one, for progress displays.
    public var epochProgress: Double { Double(state.epoch) + Double(state.position) / Double(examples.count) }

    /// The next `size` rows.
    public mutating func nextBatch(size: Int) -> [TokenizedExample] {
        precondition(size > 0, "batch size must be positive")
        var batch: [TokenizedExample] = []
        batch.reserveCapacity(size)
        for _ in 0..<size {
            switch layout {
            case .padded:
                batch.append(examples[order[state.position]])
                advance()
            case .packed(let rowLength):
                batch.append(packedRow(length: rowLength))
            }
        }
        return batch
    }

    private mutating func packedRow(length: Int) -> TokenizedExample {
        var ids: [Int] = []
        var weights: [Float] = []
        ids.reserveCapacity(length)
        weights.reserveCapacity(length)
        while ids.count < length {
            let example = examples[order[state.position]]
            let take = min(example.count - state.offset, length - ids.count)
            ids.append(contentsOf: example.ids[state.offset..<state.offset + take])
            weights.append(contentsOf: example.weights[state.offset..<state.offset + take])
            state.offset += take
            if state.offset == example.count { advance() }
        }
        weights[0] = 0
        return TokenizedExample(ids: ids, weights: weights)
    }

    /// Moves past the current example, into the next epoch after the last.
    private mutating func advance() {
        state.offset = 0
        state.position += 1
        if state.position == examples.count {
            state.position = 0
            state.epoch += 1
            order = order(forEpoch: state.epoch)
        }
    }

    private func order(forEpoch epoch: Int) -> [Int] {
        Self.order(count: examples.count, seed: state.seed, epoch: epoch, shuffles: shuffles)
    }

    private static func order(count: Int, seed: UInt64, epoch: Int, shuffles: Bool) -> [Int] {
        var order = Array(0..<count)
        if shuffles {
            var rng = SplitMix64.stream(seed: seed, UInt64(epoch))
            order.seededShuffle(using: &rng)
        }
        return order
    }
}
