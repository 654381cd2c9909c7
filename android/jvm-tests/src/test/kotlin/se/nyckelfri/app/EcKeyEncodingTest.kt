package se.nyckelfri.app

import java.math.BigInteger
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import se.nyckelfri.app.platform.EcKeyEncoding

/**
 * The keystore's DER signatures and X.509 keys in the raw forms the core and
 * the locks check, against the JDK's own ECDSA (the same algorithm the
 * Android keystore runs).
 */
class EcKeyEncodingTest {
    private fun p256() = KeyPairGenerator.getInstance("EC").run {
        initialize(ECGenParameterSpec("secp256r1"))
        generateKeyPair()
    }

    private fun hex(s: String) = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

    @Test
    fun `every DER signature becomes r and s that verify as raw P1363, short halves included`() {
        val pair = p256()
        val verifier = Signature.getInstance("SHA256withECDSAinP1363Format")
        var shortHalves = 0
        repeat(2000) { i ->
            val message = "transcript $i".toByteArray()
            val der = Signature.getInstance("SHA256withECDSA").run {
                initSign(pair.private); update(message); sign()
            }
            val raw = EcKeyEncoding.derSignatureToRaw(der)
            assertEquals(64, raw.size)
            verifier.initVerify(pair.public)
            verifier.update(message)
            assertTrue(verifier.verify(raw), "signature $i does not verify as r||s")
            if (raw[0] == 0.toByte() || raw[32] == 0.toByte()) shortHalves++
        }
        // A half below 2^248 (1 in 256) is where a naive conversion breaks.
        assertTrue(shortHalves > 0, "no short r or s among 2000 signatures")
    }

    @Test
    fun `a high r with its sign byte and a short s are placed at fixed offsets`() {
        val r = "80" + "11".repeat(31)
        val s = "22".repeat(30)
        val der = hex("3043" + "0221" + "00" + r + "021e" + s)
        assertArrayEquals(hex(r + "0000" + s), EcKeyEncoding.derSignatureToRaw(der))
    }

    @Test
    fun `malformed signatures are refused with a reason`() {
        val good = "3044" + "0220" + "11".repeat(32) + "0220" + "22".repeat(32)
        val order = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
        val bad = mapOf(
            "trailing byte" to good + "00",
            "not a sequence" to "31" + good.drop(2),
            "cut short" to good.dropLast(2),
            "length too long" to "3045" + good.drop(4),
            "not minimal" to "3045" + "0221" + "00" + "11".repeat(32) + "0220" + "22".repeat(32),
            "negative r" to "3044" + "0220" + "81".repeat(32) + "0220" + "22".repeat(32),
            "r is zero" to "3025" + "020100" + "0220" + "22".repeat(32),
            "r is the group order" to "3045" + "0221" + "00" + order + "0220" + "22".repeat(32),
            "third integer" to "3047" + good.drop(4) + "020101",
            "long length form" to "308200440220" + "11".repeat(32) + "0220" + "22".repeat(32),
            "empty" to "",
            "raw r||s already" to "11".repeat(64),
        )
        for ((why, h) in bad) {
            assertThrows<IllegalArgumentException>(why) { EcKeyEncoding.derSignatureToRaw(hex(h)) }
        }
        assertEquals(64, EcKeyEncoding.derSignatureToRaw(hex(good)).size)
    }

    @Test
    fun `an X509 P-256 key becomes the uncompressed point 04 x y`() {
        repeat(50) {
            val pub = p256().public as ECPublicKey
            val sec1 = EcKeyEncoding.spkiToSec1(pub.encoded)
            assertEquals(65, sec1.size)
            assertEquals(0x04.toByte(), sec1[0])
            assertEquals(pub.w.affineX, BigInteger(1, sec1.copyOfRange(1, 33)))
            assertEquals(pub.w.affineY, BigInteger(1, sec1.copyOfRange(33, 65)))
        }
    }

    @Test
    fun `keys of another curve or algorithm are refused`() {
        val p384 = KeyPairGenerator.getInstance("EC").run { initialize(ECGenParameterSpec("secp384r1")); generateKeyPair() }
        val rsa = KeyPairGenerator.getInstance("RSA").run { initialize(2048); generateKeyPair() }
        assertThrows<IllegalArgumentException> { EcKeyEncoding.spkiToSec1(p384.public.encoded) }
        assertThrows<IllegalArgumentException> { EcKeyEncoding.spkiToSec1(rsa.public.encoded) }
        // Same length as a P-256 key, other curve OID (secp256k1's prefix).
        val k1 = hex("3056301006072a8648ce3d020106052b8104000a034200") + ByteArray(65).also { it[0] = 4 }
        assertThrows<IllegalArgumentException> { EcKeyEncoding.spkiToSec1(k1) }
    }
}
