package se.nyckelfri.app

import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.unit.Density
import java.io.File
import org.jetbrains.skia.EncodedImageFormat
import org.jetbrains.skia.Image
import se.nyckelfri.app.ui.LocalStrings
import se.nyckelfri.app.ui.NyckelfriTheme

/** A phone-sized screen: 400 × 860 dp at 2 px per dp. */
const val WIDTH_DP = 400
const val HEIGHT_DP = 860
const val DENSITY = 2f

/** What the platform gives every screen: the strings of a language and the theme. */
@Composable
fun Frame(strings: XmlStrings, content: @Composable () -> Unit) {
    CompositionLocalProvider(LocalStrings provides strings) {
        NyckelfriTheme(content)
    }
}

val screensDir: File = File(System.getProperty("nyckelfri.screens") ?: "target/screens").also { it.mkdirs() }

/** What a rendered screen looks like, for assertions. */
class Rendered(val file: File, val width: Int, val height: Int, val distinctColors: Int, val nonBackground: Double)

/**
 * Renders [content] headless with Skia (no window, no GPU) and saves it as
 * target/screens/<name>.png. [fontScale] 2 is Android's largest font size.
 * Effects started by the first frame (a holder's load) finish before the
 * second once [until] holds.
 */
fun render(
    name: String,
    lang: String,
    fontScale: Float = 1f,
    heightDp: Int = HEIGHT_DP,
    until: () -> Boolean = { true },
    content: @Composable () -> Unit,
): Rendered {
    val strings = XmlStrings(lang)
    val scene = ImageComposeScene(
        width = (WIDTH_DP * DENSITY).toInt(),
        height = (heightDp * DENSITY).toInt(),
        density = Density(DENSITY, fontScale),
    ) { Frame(strings, content) }
    try {
        // Two frames: the first lays out, effects run, the second shows their result.
        scene.render(0)
        // The core answers on its own threads, in real time: [until] says when the screen has its data.
        val deadline = System.nanoTime() + 30_000_000_000L
        while (!until()) {
            check(System.nanoTime() < deadline) { "$name: timed out waiting for the state" }
            Thread.sleep(20)
        }
        val image = scene.render(500_000_000)
        return image.use { save(name, it) }
    } finally {
        scene.close()
    }
}

private fun save(name: String, image: Image): Rendered {
    val data = image.encodeToData(EncodedImageFormat.PNG) ?: error("PNG encoding failed")
    val file = File(screensDir, "$name.png")
    file.writeBytes(data.bytes)
    val bitmap = org.jetbrains.skia.Bitmap.makeFromImage(image)
    val colors = HashSet<Int>()
    var differ = 0
    val bg = bitmap.getColor(image.width / 2, image.height - 2)
    var n = 0
    for (y in 0 until image.height step 4) for (x in 0 until image.width step 4) {
        val c = bitmap.getColor(x, y)
        colors.add(c)
        if (c != bg) differ++
        n++
    }
    bitmap.close()
    return Rendered(file, image.width, image.height, colors.size, differ.toDouble() / n)
}

private inline fun <T> Image.use(f: (Image) -> T): T = try { f(this) } finally { close() }
