import Foundation
import Tokenizer

/// tokenizer_config.json for a model directory Lathe writes: the Qwen chat template, `<|im_end|>` ending an assistant
/// turn (eos), `<|endoftext|>` as padding, so `AutoTokenizer.from_pretrained(dir)` and `apply_chat_template` work.
public enum TokenizerConfigFile {
    /// Qwen's template without tools and without a default system prompt.
    public static let chatTemplate = """
    {%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
    """

    public static func json(tokenizer: Tokenizer) -> Data {
        var added: [String: Any] = [:]
        for (content, id) in tokenizer.specialTokens {
            added["\(id)"] = ["content": content, "special": true, "lstrip": false, "rstrip": false,
                              "normalized": false, "single_word": false]
        }
        let obj: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast", "chat_template": chatTemplate,
            "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": NSNull(), "unk_token": NSNull(),
            "model_max_length": 1024, "clean_up_tokenization_spaces": false, "added_tokens_decoder": added,
        ]
        return (try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}
