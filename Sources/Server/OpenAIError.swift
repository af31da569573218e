import Foundation

/// An error in OpenAI's shape, `{"error":{"message","type","param","code"}}`, with its HTTP status.
public struct OpenAIError: Error, Sendable {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(_ status: Int, _ message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) {
        self.status = status; self.message = message; self.type = type; self.param = param; self.code = code
    }

    static func badRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(400, message, param: param, code: code)
    }

    var json: [String: Any] {
        ["error": ["message": message, "type": type, "param": param as Any? ?? NSNull(), "code": code as Any? ?? NSNull()]]
    }
}
