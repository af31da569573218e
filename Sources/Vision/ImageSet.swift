import Engine
import Foundation

/// Labelled grayscale images: `pixels` [count, rows·cols] bytes row-major, one label per image.
public struct ImageSet: Sendable {
    public let rows: Int, cols: Int
    public let pixels: [UInt8]
    public let labels: [Int]

    public var count: Int { labels.count }
    public var pixelCount: Int { rows * cols }

    public init(rows: Int, cols: Int, pixels: [UInt8], labels: [Int]) {
        precondition(pixels.count == rows * cols * labels.count, "ImageSet: pixels and labels disagree")
        self.rows = rows; self.cols = cols; self.pixels = pixels; self.labels = labels
    }

    /// Image i as floats in [0, 1].
    public func image(_ i: Int) -> [Float] {
        let n = pixelCount
        return (0..<n).map { Float(pixels[i * n + $0]) / 255 }
    }

    /// An images file and a labels file of the same split, checked against each other and against `classes` names.
    public init(images: URL, labels labelURL: URL, classes: Int) throws {
        let img = try IDXArray(contentsOf: images)
        let lab = try IDXArray(contentsOf: labelURL)
        guard img.dims.count == 3 else {
            throw LatheError("\(images.path): images must have 3 dimensions [count, rows, cols], the header gives \(img.dims)")
        }
        guard img.dims[1] > 0, img.dims[2] > 0 else {
            throw LatheError("\(images.path): images of \(img.dims[1])×\(img.dims[2]) pixels are empty")
        }
        guard lab.dims.count == 1 else {
            throw LatheError("\(labelURL.path): labels must have 1 dimension [count], the header gives \(lab.dims)")
        }
        guard img.dims[0] == lab.dims[0] else {
            throw LatheError("\(labelURL.path): \(lab.dims[0]) labels for the \(img.dims[0]) images of \(images.lastPathComponent)")
        }
        let labels = lab.bytes.map(Int.init)
        if let i = labels.firstIndex(where: { $0 >= classes }) {
            throw LatheError("\(labelURL.path): label \(labels[i]) of image \(i) is outside the \(classes) classes of classes.txt")
        }
        self.init(rows: img.dims[1], cols: img.dims[2], pixels: img.bytes, labels: labels)
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageSet {
        let n = pixelCount
        var px = [UInt8](); px.reserveCapacity(indices.count * n)
        for i in indices { px.append(contentsOf: pixels[(i * n)..<((i + 1) * n)]) }
        return ImageSet(rows: rows, cols: cols, pixels: px, labels: indices.map { labels[$0] })
    }
}

/// A data folder: train and test splits with class names. Fashion-MNIST's ten names are built in (Debian's package
/// ships none); any other folder brings `classes.txt`, one name per line in label order.
public struct VisionData: Sendable {
    public let directory: URL
    public let classNames: [String]
    public let train: ImageSet
    public let test: ImageSet

    public static let fashionMNISTDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    public static let fashionMNISTClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                             "Sneaker", "Bag", "Ankle boot"]

    public init(directory: URL) throws {
        self.directory = directory
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            if directory.standardizedFileURL == VisionData.fashionMNISTDirectory.standardizedFileURL {
                throw LatheError("\(directory.path): not found; install Fashion-MNIST with `apt-get install dataset-fashion-mnist` (or `make deps`)")
            }
            throw LatheError("\(directory.path): no such data folder")
        }
        classNames = try VisionData.readClasses(directory)
        train = try ImageSet(images: try VisionData.file("train-images-idx3-ubyte", in: directory),
                             labels: try VisionData.file("train-labels-idx1-ubyte", in: directory), classes: classNames.count)
        test = try ImageSet(images: try VisionData.file("t10k-images-idx3-ubyte", in: directory),
                            labels: try VisionData.file("t10k-labels-idx1-ubyte", in: directory), classes: classNames.count)
        guard train.rows == test.rows, train.cols == test.cols else {
            throw LatheError("\(directory.path): train images are \(train.rows)×\(train.cols), test images \(test.rows)×\(test.cols)")
        }
    }

    public init(directory: URL, classNames: [String], train: ImageSet, test: ImageSet) {
        self.directory = directory; self.classNames = classNames; self.train = train; self.test = test
    }

    static func readClasses(_ dir: URL) throws -> [String] {
        let url = dir.appendingPathComponent("classes.txt")
        guard FileManager.default.fileExists(atPath: url.path) else {
            if dir.standardizedFileURL == fashionMNISTDirectory.standardizedFileURL { return fashionMNISTClasses }
            throw LatheError("\(url.path): missing (one class name per line, in label order)")
        }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw LatheError("\(url.path): not readable as UTF-8 text")
        }
        var lines = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        while lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw LatheError("\(url.path): no class names") }
        guard lines.count <= 256 else { throw LatheError("\(url.path): \(lines.count) classes; IDX labels are bytes (at most 256)") }
        for (i, name) in lines.enumerated() {
            if name.isEmpty { throw LatheError("\(url.path):\(i + 1): empty class name") }
            if let j = lines[..<i].firstIndex(of: name) { throw LatheError("\(url.path):\(i + 1): class name \"\(name)\" repeats line \(j + 1)") }
        }
        return lines
    }

    /// `name` or `name.gz` in `dir`.
    static func file(_ name: String, in dir: URL) throws -> URL {
        for candidate in [name, name + ".gz"] {
            let url = dir.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw LatheError("\(dir.appendingPathComponent(name).path): missing (neither \(name) nor \(name).gz is there)")
    }
}
