package se.nyckelfri.app.platform

import java.math.BigInteger

/**
 * The two conversions between what a JCA keystore gives and what the core's
 * `DeviceSigner` must return: the core (like the locks) speaks raw P-256,
 * the keystore speaks DER and X.509. Pure Kotlin so it is tested on the JVM.
 */
object EcKeyEncoding {
    /** Bytes in one P-256 coordinate or signature half. */
    const val FIELD_LEN = 32

    /** Bytes in a raw `r || s` signature. */
    const val RAW_SIGNATURE_LEN = 2 * FIELD_LEN

    /** Bytes in an uncompressed SEC1 point: 0x04, x, y. */
    const val SEC1_LEN = 1 + 2 * FIELD_LEN

    // SEQUENCE { SEQUENCE { OID ecPublicKey, OID prime256v1 }, BIT STRING (0 unused bits) ... }:
    // DER is canonical, so every uncompressed P-256 key shares exactly this prefix.
    private val P256_SPKI_PREFIX: ByteArray = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200")

    private val P256_ORDER = BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16)

    /**
     * A DER `SEQUENCE { INTEGER r, INTEGER s }` (what `SHA256withECDSA`
     * returns) as 64 bytes `r || s`. Rejects anything else, so a keystore
     * answering in an unexpected format fails here with a reason rather than
     * at the lock as a bad signature.
     */
    fun derSignatureToRaw(der: ByteArray): ByteArray {
        val reader = DerReader(der)
        val body = reader.element(tag = 0x30, what = "signature sequence")
        require(reader.atEnd()) { "bytes after the signature sequence" }
        val inner = DerReader(body)
        val r = inner.integer("r")
        val s = inner.integer("s")
        require(inner.atEnd()) { "bytes after s in the signature sequence" }
        return fixed(r, "r") + fixed(s, "s")
    }

    /**
     * An X.509 SubjectPublicKeyInfo (`PublicKey.getEncoded()`) of a P-256 key
     * as the 65-byte uncompressed SEC1 point the core registers.
     */
    fun spkiToSec1(spki: ByteArray): ByteArray {
        require(spki.size == P256_SPKI_PREFIX.size + SEC1_LEN) {
            "public key is ${spki.size} bytes; an uncompressed P-256 key is ${P256_SPKI_PREFIX.size + SEC1_LEN}"
        }
        require(spki.copyOfRange(0, P256_SPKI_PREFIX.size).contentEquals(P256_SPKI_PREFIX)) {
            "public key is not an uncompressed P-256 (secp256r1) key"
        }
        val point = spki.copyOfRange(P256_SPKI_PREFIX.size, spki.size)
        require(point[0] == 0x04.toByte()) { "public key point is not uncompressed" }
        return point
    }

    private fun fixed(n: BigInteger, what: String): ByteArray {
        require(n.signum() > 0 && n < P256_ORDER) { "$what is out of range for P-256" }
        val b = n.toByteArray() // big-endian, possibly with a leading sign byte
        val trimmed = if (b.size > FIELD_LEN) b.copyOfRange(b.size - FIELD_LEN, b.size) else b
        return ByteArray(FIELD_LEN - trimmed.size) + trimmed
    }

    private fun hex(s: String): ByteArray =
        ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

    /** Just enough DER for an ECDSA signature: definite lengths, minimal encodings. */
    private class DerReader(private val bytes: ByteArray) {
        private var pos = 0

        fun atEnd() = pos == bytes.size

        fun element(tag: Int, what: String): ByteArray {
            require(pos < bytes.size && bytes[pos].toInt() and 0xff == tag) { "expected $what" }
            pos++
            val len = length(what)
            require(len <= bytes.size - pos) { "$what is cut short" }
            return bytes.copyOfRange(pos, pos + len).also { pos += len }
        }

        fun integer(what: String): BigInteger {
            val v = element(tag = 0x02, what = "INTEGER $what")
            require(v.isNotEmpty()) { "empty INTEGER $what" }
            require(v[0] >= 0) { "negative INTEGER $what" }
            require(v.size == 1 || v[0] != 0.toByte() || v[1] < 0) { "INTEGER $what is not minimally encoded" }
            return BigInteger(1, v)
        }

        private fun length(what: String): Int {
            require(pos < bytes.size) { "$what has no length" }
            val first = bytes[pos++].toInt() and 0xff
            if (first < 0x80) return first
            // A P-256 signature is at most 72 bytes, so one length byte is all DER allows here.
            require(first == 0x81 && pos < bytes.size) { "$what has an unsupported length" }
            val len = bytes[pos++].toInt() and 0xff
            require(len >= 0x80) { "$what length is not minimally encoded" }
            return len
        }
    }
}
