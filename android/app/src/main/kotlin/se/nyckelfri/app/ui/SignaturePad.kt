package se.nyckelfri.app.ui

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.border
import androidx.compose.foundation.gestures.detectDragGestures
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.StrokeCap
import androidx.compose.ui.graphics.StrokeJoin
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.Pt

/**
 * The brukare signs with a finger. Points are kept 0..1 across and down the
 * box (the core's StrokePoint), so the receipt does not depend on the screen.
 */
@Composable
fun SignaturePad(strokes: List<List<Pt>>, onStroke: (List<Pt>) -> Unit, modifier: Modifier = Modifier) {
    val current = remember { mutableStateListOf<Pt>() }
    val description = str("tech_signature_area")
    val ink = MaterialTheme.colorScheme.onSurface
    Canvas(
        modifier.fillMaxWidth().height(200.dp)
            .border(2.dp, MaterialTheme.colorScheme.outline, MaterialTheme.shapes.medium)
            .semantics { contentDescription = description }
            .pointerInput(Unit) {
                fun pt(o: Offset) = Pt((o.x / size.width).coerceIn(0f, 1f), (o.y / size.height).coerceIn(0f, 1f))
                detectDragGestures(
                    onDragStart = { current.clear(); current.add(pt(it)) },
                    onDragEnd = { onStroke(current.toList()); current.clear() },
                    onDragCancel = { current.clear() },
                    onDrag = { change, _ -> current.add(pt(change.position)) },
                )
            },
    ) {
        fun draw(points: List<Pt>, color: Color) {
            if (points.size < 2) return
            val path = Path()
            path.moveTo(points[0].x * size.width, points[0].y * size.height)
            for (p in points.drop(1)) path.lineTo(p.x * size.width, p.y * size.height)
            drawPath(path, color, style = Stroke(width = 3.dp.toPx(), cap = StrokeCap.Round, join = StrokeJoin.Round))
        }
        strokes.forEach { draw(it, ink) }
        draw(current, ink)
    }
}
