import Testing
@testable import Store
@Test func placeholder() { #expect(true) }
