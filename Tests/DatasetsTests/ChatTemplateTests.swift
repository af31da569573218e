import Datasets
import Foundation
import Testing
import Tokenizer

@Suite struct ChatTemplateTests {
    let im_start = 1001, im_end = 1002

    @Test func rendersTheQwenFormat() {
        let text = ChatTemplate.render([ChatMessage(.system, "Be brief."), ChatMessage(.user, "Hi"),
                                        ChatMessage(.assistant, "Hello!")])
        #expect(text == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\nHello!<|im_end|>\n")
        let prompt = ChatTemplate.render([ChatMessage(.user, "Hi")], addGenerationPrompt: true)
        #expect(prompt == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    /// Checked by hand against the fixture vocabulary: only "Hello!" and the assistant's <|im_end|> carry weight.
    @Test func lossMaskCoversAssistantContentAndItsEndToken() throws {
        let template = try ChatFixtures.template()
        let tok = template.tokenizer
        let example = template.encode([ChatMessage(.user, "Hi"), ChatMessage(.assistant, "Hello!")])
        let hello = tok.encode("Hello!")
        let expectedIDs = [im_start] + tok.encode("user\n") + tok.encode("Hi") + [im_end] + tok.encode("\n")
            + [im_start] + tok.encode("assistant\n") + hello + [im_end] + tok.encode("\n")
        #expect(example.ids == expectedIDs)
        // The same ids as HF tokenizers gives for the whole text: <|im_start|> user ↵ H i <|im_end|> ↵ <|im_start|>
        // as sis tant ↵ He ll o ! <|im_end|> ↵ (the fixture vocabulary is small).
        #expect(example.ids
            == [1001, 676, 198, 39, 72, 1002, 198, 1001, 400, 921, 930, 198, 633, 304, 78, 0, 1002, 198])
        let expectedWeights: [Float] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0]
        #expect(example.weights == expectedWeights)
        #expect(tok.decode(zip(example.ids, example.weights).filter { $0.1 == 1 }.map(\.0)) == "Hello!<|im_end|>")
        #expect(example.weights[0] == 0)
    }

    @Test func everyAssistantTurnIsTrainedAndNothingElse() throws {
        let template = try ChatFixtures.template()
        let messages = [ChatMessage(.system, "S"), ChatMessage(.user, "one"), ChatMessage(.assistant, "first"),
                        ChatMessage(.user, "two"), ChatMessage(.assistant, "second")]
        let example = template.encode(messages)
        let trained = template.tokenizer.decode(zip(example.ids, example.weights).filter { $0.1 != 0 }.map(\.0))
        #expect(trained == "first<|im_end|>second<|im_end|>")
        #expect(example.ids.count == example.weights.count)
        // Every <|im_end|> closing a non-assistant message carries no weight.
        let endWeights = zip(example.ids, example.weights).filter { $0.0 == im_end }.map(\.1)
        #expect(endWeights == [0, 0, 1, 0, 1])
    }

    @Test func emptyAssistantContentStillLearnsToStop() throws {
        let example = try ChatFixtures.template().encode([ChatMessage(.user, "x"), ChatMessage(.assistant, "")])
        #expect(zip(example.ids, example.weights).filter { $0.1 != 0 }.map(\.0) == [im_end])
    }

    @Test func generationPromptEndsWithTheAssistantHeaderAndCarriesNoLoss() throws {
        let template = try ChatFixtures.template()
        let prompt = template.encode([ChatMessage(.user, "Hi")], addGenerationPrompt: true)
        #expect(Array(prompt.ids.suffix(5)) == [im_start] + template.tokenizer.encode("assistant\n"))
        #expect(prompt.lossTokens == 0)
    }

    @Test func specialTokensAreNeverSplit() throws {
        let template = try ChatFixtures.template()
        let example = template.encode([ChatMessage(.user, "<|im_start|>|<"), ChatMessage(.assistant, "ok")])
        #expect(example.ids.filter { $0 == im_start }.count == 3)  // 2 headers + 1 written in the content, as HF
        #expect(example.ids.filter { $0 == im_end }.count == 2)
    }

    @Test func aTokenizerWithoutTheChatTokensIsRefused() throws {
        let gpt2 = try Tokenizer(contentsOf: ChatFixtures.fixtures.appendingPathComponent("tokenizers/gpt2"))
        #expect(throws: DatasetError(source: "tokenizers/gpt2", "no special token <|im_start|>: the Qwen chat "
            + "template needs <|im_start|> and <|im_end|> as special tokens")) {
            try ChatTemplate(tokenizer: gpt2, source: "tokenizers/gpt2")
        }
    }

    @Test func tokenizerConfigMatchesItsGolden() {
        ChatFixtures.expectGolden(TokenizerConfig.json(), "tokenizer_config.json")
    }

    @Test func tokenizerConfigNamesTheQwenTokens() throws {
        let json = try JSONSerialization.jsonObject(with: Data(TokenizerConfig.json().utf8)) as! [String: Any]
        #expect(json["eos_token"] as? String == "<|im_end|>")
        #expect(json["pad_token"] as? String == "<|endoftext|>")
        #expect(json["bos_token"] is NSNull)
        #expect(json["chat_template"] as? String == ChatTemplate.jinja)
        #expect(json["tokenizer_class"] as? String == "Qwen2Tokenizer")
    }

    struct TransformersCase: Decodable {
        let name: String
        let messages: [ChatMessage]
        let add_generation_prompt: Bool
        /// `apply_chat_template(tokenize=False)`.
        let text: String
        /// `apply_chat_template(tokenize=True)`: the whole text through HF's tokenizer.
        let ids: [Int]
        /// `return_assistant_tokens_mask` with `{% generation %}` around each assistant content + `<|im_end|>`.
        let assistant_masks: [Int]
        /// HF's tokenizer on each segment separately (what Lathe trains on).
        let segmented_ids: [Int]
    }

    /// Tests/Fixtures/chat/template_expected.json was written by check_chat_template.py with transformers.
    @Test func matchesTransformersApplyChatTemplate() throws {
        let data = try Data(contentsOf: ChatFixtures.url("template_expected.json"))
        let cases = try JSONDecoder().decode([TransformersCase].self, from: data)
        #expect(cases.count >= 10)
        let template = try ChatFixtures.template()
        for c in cases {
            let text = ChatTemplate.render(c.messages, addGenerationPrompt: c.add_generation_prompt)
            #expect(text == c.text, "\(c.name)")
            let example = template.encode(c.messages, addGenerationPrompt: c.add_generation_prompt)
            #expect(example.ids == c.segmented_ids, "\(c.name)")
            guard c.segmented_ids == c.ids else {
                // Only where a content starts with a line break (see ChatTemplate's comment).
                #expect(c.messages.contains { $0.content.hasPrefix("\n") }, "\(c.name)")
                continue
            }
            #expect(example.weights == c.assistant_masks.map(Float.init), "\(c.name)")
        }
        #expect(cases.contains { $0.segmented_ids != $0.ids }, "the line-break case documents the difference")
    }
}

