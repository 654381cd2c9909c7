import NyckelfriCore

/// The brukare's signature as the core records it: strokes of points
/// relative to the signature box (0...1 across and down), whatever the
/// screen's size. Fed by the canvas's touches.
public struct SignaturePad: Equatable {
    public private(set) var strokes: [SignatureStroke] = []
    private var current: [StrokePoint] = []

    public init() {}

    /// Every stroke, the one being drawn included (for the canvas).
    public var allStrokes: [SignatureStroke] {
        current.isEmpty ? strokes : strokes + [SignatureStroke(points: current)]
    }

    public var isEmpty: Bool { strokes.isEmpty && current.isEmpty }

    /// A finger at (x, y) in a box of `width` × `height` points: starts a
    /// stroke or continues the current one.
    public mutating func touch(x: Double, y: Double, width: Double, height: Double) {
        guard width > 0, height > 0 else { return }
        let p = StrokePoint(x: Float(clamp(x / width)), y: Float(clamp(y / height)))
        if current.last != p { current.append(p) }
    }

    /// The finger left the screen.
    public mutating func lift() {
        if !current.isEmpty { strokes.append(SignatureStroke(points: current)) }
        current = []
    }

    public mutating func clear() {
        strokes = []
        current = []
    }

    private func clamp(_ v: Double) -> Double { min(1, max(0, v)) }
}
