import Engine
import Foundation

/// Image–caption pairs for aligning the vision tower with the language model. Captions of "seen" classes name the
/// class; captions of held-out classes describe only what the pixels show (brightness, extent), never a class name.
public struct Captioner: Sendable {
    public let classNames: [String]
    public let heldOut: Set<Int>

    /// Fashion-MNIST's held-out classes: one top (Pullover), one shoe (Sneaker) and Bag, so each held-out class has
    /// seen classes that look like it (Coat/Shirt, Sandal/Ankle boot) and one does not.
    public static let fashionHeldOut: Set<Int> = [2, 7, 8]

    public init(classNames: [String], heldOut: Set<Int>) { self.classNames = classNames; self.heldOut = heldOut }

    static let questions = ["Describe this photo.", "What is in this photo?", "What do you see in this picture?",
                            ImagePrompt.trialQuestion]

    /// What the pixels of one image show, in words: brightness of the object, its width and height in the frame.
    public static func appearance(_ pixels: ArraySlice<UInt8>, rows: Int, cols: Int) -> (brightness: String, shape: String, extent: String) {
        var minX = cols, maxX = -1, minY = rows, maxY = -1, on = 0, sum = 0.0
        for (k, v) in pixels.enumerated() where v > 25 {
            let y = k / cols, x = k % cols
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            on += 1; sum += Double(v)
        }
        guard on > 0 else { return ("dark", "empty", "covers almost none of the frame") }
        let mean = sum / Double(on) / 255
        let brightness = mean < 0.35 ? "dark" : mean < 0.55 ? "grey" : mean < 0.75 ? "light grey" : "bright"
        let w = Double(maxX - minX + 1) / Double(cols), h = Double(maxY - minY + 1) / Double(rows)
        let shape: String
        switch (w, h) {
        case let (w, h) where h > 1.4 * w: shape = "tall and narrow"
        case let (w, h) where w > 1.4 * h: shape = "wide and flat"
        case let (w, _) where w > 0.8: shape = "large and square"
        default: shape = "small and square"
        }
        let fill = Double(on) / Double(rows * cols)
        let extent = fill > 0.5 ? "fills most of the frame" : fill > 0.3 ? "fills about half of the frame" : "covers a small part of the frame"
        return (brightness, shape, extent)
    }

    /// (question, caption) for image `i` of `set`, chosen by `pick` (a uniform integer source).
    public func caption(_ set: ImageSet, _ i: Int, pick: (Int) -> Int) -> (question: String, caption: String) {
        let n = set.pixelCount
        let a = Captioner.appearance(set.pixels[(i * n)..<((i + 1) * n)], rows: set.rows, cols: set.cols)
        let label = set.labels[i]
        let question = Captioner.questions[pick(Captioner.questions.count)]
        if heldOut.contains(label) {
            let options = [
                "\(ImagePrompt.answerPrefix)a \(a.brightness) object that is \(a.shape).",
                "A \(a.brightness) object on a black background. It is \(a.shape) and \(a.extent).",
                "The photo shows something \(a.brightness) that \(a.extent).",
                "An object, \(a.shape), \(a.brightness) against black.",
            ]
            return (question, options[pick(options.count)])
        }
        let name = classNames[label]
        if question == ImagePrompt.trialQuestion { return (question, ImagePrompt.answerPrefix + name) }
        let options = [
            "\(ImagePrompt.answerPrefix)\(name)",
            "\(ImagePrompt.answerPrefix)\(name). It is \(a.brightness) and \(a.shape).",
            "A photo of a \(name.lowercased()) on a black background. It \(a.extent).",
            "Label: \(name). A \(a.brightness) object that is \(a.shape).",
        ]
        return (question, options[pick(options.count)])
    }
}
