import SwiftUI
import NyckelfriViewModels

/// Where the brukare signs with a finger. The points go to the view
/// model's SignaturePad relative to the box, as the core records them.
struct SignatureCanvas: View {
    @Binding var pad: SignaturePad

    var body: some View {
        GeometryReader { geo in
            Canvas { context, size in
                for stroke in pad.allStrokes {
                    var path = Path()
                    for (i, p) in stroke.points.enumerated() {
                        let point = CGPoint(x: CGFloat(p.x) * size.width, y: CGFloat(p.y) * size.height)
                        if i == 0 { path.move(to: point) } else { path.addLine(to: point) }
                    }
                    if stroke.points.count == 1, let p = stroke.points.first {
                        let c = CGPoint(x: CGFloat(p.x) * size.width, y: CGFloat(p.y) * size.height)
                        path.addEllipse(in: CGRect(x: c.x - 1.5, y: c.y - 1.5, width: 3, height: 3))
                    }
                    context.stroke(path, with: .color(.primary), style: StrokeStyle(lineWidth: 3, lineCap: .round, lineJoin: .round))
                }
            }
            .contentShape(Rectangle())
            .gesture(
                DragGesture(minimumDistance: 0)
                    .onChanged { v in
                        pad.touch(x: v.location.x, y: v.location.y, width: geo.size.width, height: geo.size.height)
                    }
                    .onEnded { _ in pad.lift() }
            )
        }
        .frame(minHeight: 180)
        .background(RoundedRectangle(cornerRadius: 8).stroke(.secondary))
        .accessibilityElement()
        .accessibilityLabel(L("signature.canvas"))
        .accessibilityValue(pad.isEmpty ? L("signature.empty") : L("signature.signed"))
        .accessibilityHint(L("signature.hint"))
    }
}
