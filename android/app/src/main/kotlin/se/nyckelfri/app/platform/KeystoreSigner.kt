package se.nyckelfri.app.platform

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.util.Log
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.spec.ECGenParameterSpec
import se.nyckelfri.core.DeviceSigner

/**
 * The device key in the Android keystore (in StrongBox when the phone has
 * one): an EC P-256 key that never leaves the secure hardware. The core
 * calls it for the lock exchange and for the server's sign-in challenges.
 *
 * The key is not bound to user authentication. The core signs inside its
 * async Bluetooth exchange, after the app's own BiometricPrompt (or PIN) at
 * the door, and also when it syncs: a per-use bound key would need a
 * CryptoObject threaded through the core, and a time-bound one would make
 * syncs fail outside its window. The gate is the prompt before `openDoor`,
 * and the lock still checks token, time and device key itself.
 */
class KeystoreSigner(context: Context, private val alias: String = ALIAS) : DeviceSigner {
    private val strongBox = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
        context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    // Looked up once: a keystore lookup costs milliseconds at the door. A
    // failed lookup is not cached, so the next call tries again.
    private val keys: KeyPair by lazy { loadOrCreate() }
    private val signer = JcaDeviceSigner { keys }

    override fun publicKey(): ByteArray = signer.publicKey()

    override fun sign(message: ByteArray): ByteArray = signer.sign(message)

    private fun loadOrCreate(): KeyPair {
        val store = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        val entry = store.getEntry(alias, null) as? KeyStore.PrivateKeyEntry
        if (entry != null) return KeyPair(entry.certificate.publicKey, entry.privateKey)
        if (strongBox) {
            try {
                return generate { setIsStrongBoxBacked(true) }
            } catch (e: StrongBoxUnavailableException) {
                // Advertised but unable to take the key now: the TEE key is still hardware-backed.
                Log.w(TAG, "StrongBox unavailable, using the TEE keystore")
            }
        }
        return generate {}
    }

    private fun generate(extra: KeyGenParameterSpec.Builder.() -> Unit): KeyPair {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .apply(extra)
            .build()
        return KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, KEYSTORE).run {
            initialize(spec)
            generateKeyPair()
        }
    }

    companion object {
        const val ALIAS = "nyckelfri-device-key"
        private const val KEYSTORE = "AndroidKeyStore"
        private const val TAG = "KeystoreSigner"
    }
}
