import Foundation

/// The `tokenizer_config.json` written next to a model's `tokenizer.json`, so that
/// `transformers.AutoTokenizer.from_pretrained(dir)` loads the tokenizer with the right special tokens and chat
/// template (checked with transformers 5.23: it loads as `Qwen2Tokenizer` from these two files alone).
public enum TokenizerConfig {
    /// The file's text (pretty-printed JSON, sorted keys, trailing newline). `bos` nil writes `"bos_token": null` and
    /// no BOS is added when encoding, as in Qwen's own files.
    public static func json(
        bos: String? = nil, eos: String = ChatTemplate.endToken, pad: String = "<|endoftext|>",
        modelMaxLength: Int = 32768, chatTemplate: String = ChatTemplate.jinja
    ) -> String {
        let object: [String: Any] = [
            "add_bos_token": false,
            "add_prefix_space": false,
            "bos_token": bos.map { $0 as Any } ?? NSNull(),  // null, as Qwen writes it
            "chat_template": chatTemplate,
            "clean_up_tokenization_spaces": false,
            "eos_token": eos,
            "errors": "replace",
            "model_max_length": modelMaxLength,
            "pad_token": pad,
            "split_special_tokens": false,
            "tokenizer_class": "Qwen2Tokenizer",
        ]
        // Strings, booleans, an integer and null: serialization cannot fail.
        let data = try! JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
