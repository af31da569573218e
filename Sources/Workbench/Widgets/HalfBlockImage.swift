import Terminal

/// A grayscale image drawn two pixel rows per cell: `▀` with the upper pixel as foreground and the lower as
/// background; without UTF-8, one character per cell from a brightness ramp. Images are box-downsampled by `scale`.
enum HalfBlockImage {
    static let ramp: [Unicode.Scalar] = [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]

    /// Cells the image takes: (columns, rows).
    static func size(rows: Int, cols: Int, scale: Int) -> (Int, Int) { (cols / scale, (rows / scale + 1) / 2) }

    /// Draws `pixels` [rows·cols] bytes with its top-left cell at (x, y).
    static func draw(_ p: Painter, x: Int, y: Int, pixels: ArraySlice<UInt8>, rows: Int, cols: Int, scale: Int, unicode: Bool) {
        let w = cols / scale, h = rows / scale
        func value(_ py: Int, _ px: Int) -> Int {
            guard py < h else { return 0 }
            var s = 0
            for dy in 0..<scale { for dx in 0..<scale { s += Int(pixels[pixels.startIndex + (py * scale + dy) * cols + px * scale + dx]) } }
            return s / (scale * scale)
        }
        for cy in 0..<((h + 1) / 2) {
            for cx in 0..<w {
                let top = value(2 * cy, cx), bottom = value(2 * cy + 1, cx)
                if unicode {
                    let t = UInt8(top), b = UInt8(bottom)
                    p.set(x + cx, y + cy, Cell("▀", style: Style(fg: .rgb(RGB(t, t, t)), bg: .rgb(RGB(b, b, b)))))
                } else {
                    let v = (top + bottom) / 2
                    p.set(x + cx, y + cy, Cell(ramp[min(ramp.count - 1, v * ramp.count / 256)]))
                }
            }
        }
    }
}
