import Foundation
import Testing
import Tokenizer

/// Bad tokenizer.json files must give a one-line TokenizerError that names the file and the field, never a crash.
@Suite struct ErrorTests {
    /// The message for `json` loaded as "tokenizer.json"; records an issue if it loads.
    func message(_ json: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let data = try! JSONSerialization.data(withJSONObject: json)
        return message(data, sourceLocation: sourceLocation)
    }

    func message(_ data: Data, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            _ = try Tokenizer(json: data, source: "tokenizer.json")
            Issue.record("expected a TokenizerError", sourceLocation: sourceLocation)
            return ""
        } catch let error as TokenizerError {
            let text = error.description
            #expect(!text.contains("\n"), "one line: \(text)", sourceLocation: sourceLocation)
            #expect(text.hasPrefix("tokenizer.json: "), "names the file: \(text)", sourceLocation: sourceLocation)
            return text
        } catch {
            Issue.record("expected a TokenizerError, got \(error)", sourceLocation: sourceLocation)
            return ""
        }
    }

    /// A copy of the Qwen fixture's JSON with `edit` applied to it.
    func qwen(_ edit: (inout [String: Any]) -> Void) throws -> [String: Any] {
        var json = try Fixtures.json("qwen")
        edit(&json)
        return json
    }

    func editModel(_ json: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var model = json["model"] as! [String: Any]
        edit(&model)
        json["model"] = model
    }

    @Test func theUnmodifiedFixturesLoad() throws {
        for name in Fixtures.names {
            let data = try Data(contentsOf: Fixtures.directory(name).appendingPathComponent("tokenizer.json"))
            _ = try Tokenizer(json: data, source: "tokenizer.json")
        }
    }

    @Test func fileMissing() throws {
        let path = "/nonexistent-lathe-dir/tokenizer.json"
        #expect(throws: TokenizerError.fileNotFound(path: path)) {
            try Tokenizer(contentsOf: URL(fileURLWithPath: path))
        }
        let e = TokenizerError.fileNotFound(path: path).description
        #expect(e == "/nonexistent-lathe-dir/tokenizer.json: file not found")
    }

    @Test func directoryWithoutTokenizerJSON() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-tok-empty-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try Tokenizer(contentsOf: dir)
            Issue.record("expected an error")
        } catch let e as TokenizerError {
            #expect(e.description == "\(dir.appendingPathComponent("tokenizer.json").path): file not found")
        }
    }

    @Test func loadsFromFileAndFromDirectory() throws {
        let dir = Fixtures.directory("qwen")
        let a = try Tokenizer(contentsOf: dir)
        let b = try Tokenizer(contentsOf: dir.appendingPathComponent("tokenizer.json"))
        #expect(a.encode("Hello world") == b.encode("Hello world"))
        #expect(a.vocabSize == b.vocabSize)
    }

    @Test func errorsFromAFileNameThePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-tok-bad-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tokenizer.json")
        try Data("{\"model\": ".utf8).write(to: file)
        do {
            _ = try Tokenizer(contentsOf: dir)
            Issue.record("expected an error")
        } catch let e as TokenizerError {
            #expect(e.description.hasPrefix("\(file.path): not valid JSON"), "\(e)")
        }
    }

    @Test func notJSON() {
        let m = message(Data("this is not json".utf8))
        #expect(m.hasPrefix("tokenizer.json: not valid JSON"), "\(m)")
        let m2 = message(Data("[1, 2, 3]".utf8))
        #expect(m2 == "tokenizer.json: not valid JSON: the top level is not an object")
    }

    @Test func missingModel() throws {
        let m = message(try qwen { $0["model"] = nil })
        #expect(m == "tokenizer.json: model: missing")
    }

    @Test func unsupportedModelType() throws {
        let m = message(try qwen { json in editModel(&json) { $0["type"] = "WordPiece" } })
        #expect(m == #"tokenizer.json: model.type: unsupported model type "WordPiece" (only "BPE" is supported)"#)
    }

    @Test func missingVocab() throws {
        let m = message(try qwen { json in editModel(&json) { $0["vocab"] = nil } })
        #expect(m == "tokenizer.json: model.vocab: missing")
    }

    @Test func vocabIDNotAnInteger() throws {
        let m = message(try qwen { json in
            editModel(&json) { model in
                var vocab = model["vocab"] as! [String: Any]
                vocab["Ġthe"] = "seven"
                model["vocab"] = vocab
            }
        })
        #expect(m == #"tokenizer.json: model.vocab["Ġthe"]: expected a non-negative integer, found string "seven""#)
    }

    @Test func mergeEntryMalformed() throws {
        for bad: Any in ["abc", "a b c", ["a"], ["a", 1], 7] {
            let m = message(try qwen { json in
                editModel(&json) { model in
                    var merges = model["merges"] as! [Any]
                    merges[12] = bad
                    model["merges"] = merges
                }
            })
            #expect(m == #"tokenizer.json: model.merges[12]: expected "a b" or ["a","b"]"#, "\(bad): \(m)")
        }
    }

    @Test func mergeTokenMissingFromVocab() throws {
        let m = message(try qwen { json in
            editModel(&json) { model in
                var merges = model["merges"] as! [Any]
                merges[3] = ["Ġ", "qqqzzz"]
                model["merges"] = merges
            }
        })
        #expect(m == #"tokenizer.json: model.merges[3]: token "qqqzzz" is not in model.vocab"#)
        // Legacy "a b" strings: the merged token must exist too.
        let m2 = message(try qwen { json in
            editModel(&json) { model in
                var merges = (model["merges"] as! [[String]]).map { "\($0[0]) \($0[1])" }
                merges[5] = "z z"
                model["merges"] = merges
            }
        })
        #expect(m2 == #"tokenizer.json: model.merges[5]: merged token "zz" is not in model.vocab"#, "\(m2)")
    }

    @Test func addedTokenIDNotAnInteger() throws {
        for bad: Any in ["800", 800.5, true, -1, NSNull()] {
            let m = message(try qwen { json in
                var added = json["added_tokens"] as! [[String: Any]]
                added[2]["id"] = bad
                json["added_tokens"] = added
            })
            #expect(m.hasPrefix("tokenizer.json: added_tokens[2].id: expected a non-negative integer"), "\(bad): \(m)")
        }
        let missing = message(try qwen { json in
            var added = json["added_tokens"] as! [[String: Any]]
            added[0]["id"] = nil
            json["added_tokens"] = added
        })
        #expect(missing == "tokenizer.json: added_tokens[0].id: missing")
    }

    @Test func unsupportedPreTokenizer() throws {
        let m = message(try qwen { json in
            var pre = json["pre_tokenizer"] as! [String: Any]
            var list = pre["pretokenizers"] as! [[String: Any]]
            list[0] = ["type": "Whitespace"]
            pre["pretokenizers"] = list
            json["pre_tokenizer"] = pre
        })
        #expect(m == #"tokenizer.json: pre_tokenizer.pretokenizers[0].type: unsupported pre-tokenizer "Whitespace" (supported: ByteLevel, Split, Sequence)"#)

        let m2 = message(try qwen { $0["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁"] })
        #expect(m2.hasPrefix(#"tokenizer.json: pre_tokenizer.type: unsupported pre-tokenizer "Metaspace""#), "\(m2)")

        let m3 = message(try qwen { $0["pre_tokenizer"] = NSNull() })
        #expect(m3.hasPrefix("tokenizer.json: pre_tokenizer: missing or null"), "\(m3)")
    }

    @Test func unsupportedRegex() throws {
        let m = message(try qwen { json in
            var pre = json["pre_tokenizer"] as! [String: Any]
            var list = pre["pretokenizers"] as! [[String: Any]]
            list[0]["pattern"] = ["Regex": #"\p{N}{1,3}|\w+"#]
            pre["pretokenizers"] = list
            json["pre_tokenizer"] = pre
        })
        #expect(m.hasPrefix(#"tokenizer.json: pre_tokenizer.pretokenizers[0].pattern.Regex: unsupported regex "\p{N}{1,3}|\w+""#), "\(m)")

        let m2 = message(try qwen { json in
            var pre = json["pre_tokenizer"] as! [String: Any]
            var list = pre["pretokenizers"] as! [[String: Any]]
            list[0]["behavior"] = "Removed"
            pre["pretokenizers"] = list
            json["pre_tokenizer"] = pre
        })
        #expect(m2.hasPrefix(#"tokenizer.json: pre_tokenizer.pretokenizers[0].behavior: unsupported split behavior"#), "\(m2)")
    }

    @Test func byteLevelMustBeLast() throws {
        let m = message(try qwen { json in
            var pre = json["pre_tokenizer"] as! [String: Any]
            let list = pre["pretokenizers"] as! [[String: Any]]
            pre["pretokenizers"] = [list[1], list[0]]
            json["pre_tokenizer"] = pre
        })
        #expect(m.hasPrefix("tokenizer.json: pre_tokenizer: must end with a ByteLevel pre-tokenizer"), "\(m)")
    }

    @Test func unsupportedNormalizerAndDecoder() throws {
        let m = message(try qwen { $0["normalizer"] = ["type": "NFKC"] })
        #expect(m.hasPrefix(#"tokenizer.json: normalizer.type: unsupported normalizer "NFKC""#), "\(m)")
        let m2 = message(try qwen {
            $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "Lowercase"]]]
        })
        #expect(m2.hasPrefix(#"tokenizer.json: normalizer.normalizers[1].type: unsupported normalizer "Lowercase""#), "\(m2)")
        let m3 = message(try qwen { $0["decoder"] = ["type": "WordPiece"] })
        #expect(m3.hasPrefix(#"tokenizer.json: decoder.type: unsupported decoder "WordPiece""#), "\(m3)")
    }

    @Test func unsupportedModelOptions() throws {
        let m = message(try qwen { json in editModel(&json) { $0["continuing_subword_prefix"] = "##" } })
        #expect(m == ###"tokenizer.json: model.continuing_subword_prefix: only null or "" is supported, found string "##""###)
        let m2 = message(try qwen { json in editModel(&json) { $0["dropout"] = 0.1 } })
        #expect(m2.hasPrefix("tokenizer.json: model.dropout: BPE dropout is not supported"), "\(m2)")
        let m3 = message(try qwen { json in editModel(&json) { $0["unk_token"] = "<unk>" } })
        #expect(m3 == #"tokenizer.json: model.unk_token: token "<unk>" is not in model.vocab"#)
        let m4 = message(try qwen { $0["version"] = "2.0" })
        #expect(m4.hasPrefix(#"tokenizer.json: version: unknown tokenizer.json version "2.0""#), "\(m4)")
    }

    /// Real files differ in the details: merges as "a b" strings or pairs, null or "" for the subword options,
    /// a Sequence normalizer, no added_tokens. All must load and agree.
    @Test func acceptedVariants() throws {
        let base = try Fixtures.tokenizer("qwen")
        let text = "Hello, wörld! 12 + 30 = 42\n<|im_end|>"
        let variants: [[String: Any]] = [
            try qwen { json in
                editModel(&json) { model in
                    model["merges"] = (model["merges"] as! [[String]]).map { "\($0[0]) \($0[1])" }
                    model["continuing_subword_prefix"] = NSNull()
                    model["end_of_word_suffix"] = NSNull()
                    model["dropout"] = NSNull()
                }
            },
            try qwen { $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"]]] },
            try qwen { $0["decoder"] = ["type": "Sequence", "decoders": [["type": "ByteLevel"]]] },
            try qwen { $0["post_processor"] = ["type": "TemplateProcessing", "single": [], "pair": []] },
        ]
        for v in variants {
            let t = try Tokenizer(json: JSONSerialization.data(withJSONObject: v), source: "tokenizer.json")
            #expect(t.encode(text) == base.encode(text))
        }
        let noAdded = try Tokenizer(
            json: JSONSerialization.data(withJSONObject: try qwen { $0["added_tokens"] = nil }), source: "x")
        #expect(noAdded.specialTokens.isEmpty)
        #expect(noAdded.encode("<|im_end|>").count > 1)
    }
}
