import Tokenizer

extension Tokenizer: TextDecoding {}
