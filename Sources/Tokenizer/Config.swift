import Foundation

/// What the tokenizer.json asks for, checked and reduced to what this implementation supports.
struct TokenizerConfig {
    enum Normalizer { case none, nfc }

    /// One pre-tokenization step. Steps run in order on every piece that the previous steps produced.
    enum PreTokenizerStep: Equatable {
        case split(SplitRegex)
        case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    }

    var normalizer: Normalizer = .none
    var preTokenizer: [PreTokenizerStep] = []
    var vocab: [String: Int] = [:]
    var merges: [(String, String)] = []
    var mergeIndices: [Int] = []  // the index in model.merges of each merge, for errors
    var unkToken: String?
    var fuseUnk = false
    var byteFallback = false
    var ignoreMerges = false
    var addedTokens: [AddedToken] = []

    init(json: Data, source: String) throws {
        let parsed: Any
        do {
            parsed = try parseJSON(json)
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                ?? error.localizedDescription
            throw TokenizerError.notJSON(source: source, reason: oneLine(reason))
        }
        guard parsed is [String: Any] else {
            throw TokenizerError.notJSON(source: source, reason: "the top level is not an object")
        }
        let root = JSONField(value: parsed, path: "", source: source)

        if let version = try root.optional("version") {
            let v = try version.string()
            if v != "1.0" { throw version.unsupported("unknown tokenizer.json version \(quoted(v)) (expected \"1.0\")") }
        }
        try parseModel(root.required("model"))
        normalizer = try parseNormalizer(root.optional("normalizer"))
        preTokenizer = try parsePreTokenizer(root.field("pre_tokenizer"), source: source)
        try parseDecoder(root.field("decoder"), source: source)
        if let added = try root.optional("added_tokens") {
            addedTokens = try added.elements().map(parseAddedToken)
        }
        // post_processor is not read: encode never adds special tokens (HF add_special_tokens=False), and the
        // ByteLevel post-processor only trims offsets. truncation / padding are not applied either.
    }

    // MARK: model

    private mutating func parseModel(_ model: JSONField) throws {
        if model.isNull { throw model.invalid("missing (null)") }
        _ = try model.object()
        if let type = try model.optional("type") {
            let t = try type.string()
            if t != "BPE" {
                throw type.unsupported("unsupported model type \(quoted(t)) (only \"BPE\" is supported)")
            }
        } else if try model.field("merges") == nil {
            throw model.invalid("missing \"type\" (only \"BPE\" is supported)")
        }
        if let dropout = try model.optional("dropout") {
            guard let p = dropout.value as? NSNumber, p.doubleValue == 0 else {
                throw dropout.unsupported("BPE dropout is not supported (expected null)")
            }
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let f = try model.optional(key), try !f.string().isEmpty {
                throw f.unsupported("only null or \"\" is supported, found \(f.kind)")
            }
        }
        unkToken = try model.optional("unk_token")?.string()
        fuseUnk = try model.optionalBool("fuse_unk", default: false)
        byteFallback = try model.optionalBool("byte_fallback", default: false)
        ignoreMerges = try model.optionalBool("ignore_merges", default: false)

        let vocabField = try model.required("vocab")
        let vocabObject = try vocabField.object()
        vocab.reserveCapacity(vocabObject.count)
        for (token, value) in vocabObject {
            if let id = JSONField.fastTokenID(value) {
                vocab[token] = id
            } else {  // the slow path names the field in its error
                let f = JSONField(value: value, path: "\(vocabField.path)[\(quoted(token))]", source: vocabField.source)
                vocab[token] = try f.tokenID()
            }
        }
        if let unk = unkToken, vocab[unk] == nil {
            throw TokenizerError.invalidField(
                source: model.source, field: "model.unk_token", problem: "token \(quoted(unk)) is not in model.vocab")
        }

        let mergesField = try model.required("merges")
        let list = try mergesField.array()
        merges.reserveCapacity(list.count)
        for (i, m) in list.enumerated() {
            if let s = m as? String {
                if s.hasPrefix("#version") { continue }  // legacy merges.txt header, skipped as HF does
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty {
                    merges.append((String(parts[0]), String(parts[1])))
                    mergeIndices.append(i)
                    continue
                }
            } else if let pair = m as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String {
                merges.append((a, b))
                mergeIndices.append(i)
                continue
            }
            throw TokenizerError.invalidField(
                source: mergesField.source, field: "\(mergesField.path)[\(i)]",
                problem: #"expected "a b" or ["a","b"]"#)
        }
    }

    // MARK: normalizer

    private func parseNormalizer(_ field: JSONField?) throws -> Normalizer {
        guard let field else { return .none }
        let type = try field.required("type")
        switch try type.string() {
        case "NFC":
            return .nfc
        case "Sequence":
            var result = Normalizer.none
            for inner in try field.required("normalizers").elements() {
                if try parseNormalizer(inner) == .nfc { result = .nfc }
            }
            return result
        case let other:
            throw type.unsupported("unsupported normalizer \(quoted(other)) (supported: NFC, Sequence of NFC)")
        }
    }

    // MARK: pre-tokenizer

    private func parsePreTokenizer(_ field: JSONField?, source: String) throws -> [PreTokenizerStep] {
        guard let field, !field.isNull else {
            throw TokenizerError.unsupported(
                source: source, field: "pre_tokenizer",
                problem: "missing or null; a ByteLevel pre-tokenizer is required for byte-level BPE")
        }
        let steps = try flatten(field)
        guard let last = steps.last, case .byteLevel = last.step else {
            throw field.unsupported("must end with a ByteLevel pre-tokenizer (byte-level BPE)")
        }
        for s in steps.dropLast() {
            if case .byteLevel = s.step {
                throw s.field.unsupported("ByteLevel must be the last pre-tokenizer")
            }
        }
        return steps.map(\.step)
    }

    private func flatten(_ field: JSONField) throws -> [(step: PreTokenizerStep, field: JSONField)] {
        let type = try field.required("type")
        switch try type.string() {
        case "Sequence":
            return try field.required("pretokenizers").elements().flatMap { try flatten($0) }
        case "ByteLevel":
            let addPrefixSpace = try field.optionalBool("add_prefix_space", default: true)
            let useRegex = try field.optionalBool("use_regex", default: true)
            return [(.byteLevel(addPrefixSpace: addPrefixSpace, useRegex: useRegex), field)]
        case "Split":
            let pattern = try field.required("pattern")
            let regexField: JSONField
            if let r = try pattern.field("Regex") {
                regexField = r
            } else if let s = try pattern.field("String") {
                throw s.unsupported("literal String split patterns are not supported (only the GPT-2 and Qwen regexes)")
            } else {
                throw pattern.invalid("expected {\"Regex\": …}")
            }
            let regex = try regexField.string()
            guard let known = SplitRegex(pattern: regex) else {
                throw regexField.unsupported(
                    "unsupported regex \"\(regex.count > 60 ? String(regex.prefix(60)) + "…" : regex)\" "
                        + "(only the GPT-2 and Qwen2 patterns are implemented)")
            }
            let behavior = try field.required("behavior")
            if try behavior.string() != "Isolated" {
                throw behavior.unsupported("unsupported split behavior \(behavior.kind) (only \"Isolated\")")
            }
            if try field.optionalBool("invert", default: false) {
                throw TokenizerError.unsupported(
                    source: field.source, field: "\(field.path).invert", problem: "invert true is not supported")
            }
            return [(.split(known), field)]
        case let other:
            throw type.unsupported(
                "unsupported pre-tokenizer \(quoted(other)) (supported: ByteLevel, Split, Sequence)")
        }
    }

    // MARK: decoder

    private func parseDecoder(_ field: JSONField?, source: String) throws {
        guard let field, !field.isNull else {
            throw TokenizerError.unsupported(
                source: source, field: "decoder",
                problem: "missing or null; a ByteLevel decoder is required")
        }
        let type = try field.required("type")
        switch try type.string() {
        case "ByteLevel":
            return
        case "Sequence":
            let inner = try field.required("decoders").elements()
            guard !inner.isEmpty else { throw field.unsupported("an empty decoder Sequence is not supported") }
            for d in inner { try parseDecoder(d, source: source) }
        case let other:
            throw type.unsupported("unsupported decoder \(quoted(other)) (only ByteLevel)")
        }
    }

    // MARK: added tokens

    private func parseAddedToken(_ field: JSONField) throws -> AddedToken {
        let id = try field.required("id").tokenID()
        let contentField = try field.required("content")
        let content = try contentField.string()
        let special = try field.optionalBool("special", default: false)
        return AddedToken(
            id: id, content: content, special: special,
            singleWord: try field.optionalBool("single_word", default: false),
            lstrip: try field.optionalBool("lstrip", default: false),
            rstrip: try field.optionalBool("rstrip", default: false),
            normalized: try field.optionalBool("normalized", default: !special))
    }
}

/// JSONSerialization, except for files holding a raw U+FEFF: swift-corelibs-foundation drops one that starts a
/// string or follows an escape (the JSON string `"\n`, U+FEFF, `x"` parses as newline + "x"), so those go through
/// JSONDecoder, which keeps it. Byte-level vocabularies never hold one; an added token might.
private func parseJSON(_ data: Data) throws -> Any {
    let hasRawBOM = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
        let b = raw.bindMemory(to: UInt8.self)
        var i = 0
        while i + 2 < b.count {
            if b[i] == 0xEF && b[i + 1] == 0xBB && b[i + 2] == 0xBF { return true }
            i += 1
        }
        return false
    }
    if !hasRawBOM { return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) }
    return try JSONDecoder().decode(AnyJSON.self, from: data).value
}

/// Any JSON value, as the Foundation objects JSONSerialization would give (NSNumber for numbers and booleans).
private struct AnyJSON: Decodable {
    let value: Any

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            value = NSNull()
        } else if let b = try? c.decode(Bool.self) {
            value = NSNumber(value: b)
        } else if let i = try? c.decode(Int64.self) {
            value = NSNumber(value: i)
        } else if let d = try? c.decode(Double.self) {
            value = NSNumber(value: d)
        } else if let s = try? c.decode(String.self) {
            value = s
        } else if let a = try? c.decode([AnyJSON].self) {
            value = a.map(\.value)
        } else {
            value = try c.decode([String: AnyJSON].self).mapValues(\.value)
        }
    }
}

private func oneLine(_ s: String) -> String {
    s.split(whereSeparator: \.isNewline).joined(separator: " ")
}
