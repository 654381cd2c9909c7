package se.nyckelfri.app.platform

import java.security.KeyPair
import java.security.Signature
import se.nyckelfri.core.DeviceSigner
import se.nyckelfri.core.NyckelfriException

/**
 * The core's device signer over a JCA key pair: the Android keystore's in
 * the app ([KeystoreSigner]), a software pair in the JVM tests. The private
 * key stays behind `PrivateKey`; only signatures and the public key leave.
 *
 * Every failure becomes `NyckelfriException.Signer`: anything else thrown
 * across the foreign trait would reach the core as an unexpected error
 * without a reason the worker could act on.
 */
class JcaDeviceSigner(private val keys: () -> KeyPair) : DeviceSigner {
    override fun publicKey(): ByteArray = signerFailure("public key") {
        EcKeyEncoding.spkiToSec1(keys().public.encoded)
    }

    override fun sign(message: ByteArray): ByteArray = signerFailure("signing") {
        val der = Signature.getInstance("SHA256withECDSA").run {
            initSign(keys().private)
            update(message)
            sign()
        }
        EcKeyEncoding.derSignatureToRaw(der)
    }

    private inline fun <T> signerFailure(what: String, block: () -> T): T =
        try {
            block()
        } catch (e: NyckelfriException) {
            throw e
        } catch (e: Exception) {
            throw NyckelfriException.Signer("$what: ${e.javaClass.simpleName}: ${e.message}")
        }
}
