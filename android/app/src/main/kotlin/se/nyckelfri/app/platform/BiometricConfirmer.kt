package se.nyckelfri.app.platform

import android.os.Build
import android.widget.Toast
import androidx.biometric.BiometricManager
import androidx.biometric.BiometricManager.Authenticators.BIOMETRIC_STRONG
import androidx.biometric.BiometricManager.Authenticators.BIOMETRIC_WEAK
import androidx.biometric.BiometricManager.Authenticators.DEVICE_CREDENTIAL
import androidx.biometric.BiometricPrompt
import androidx.core.content.ContextCompat
import androidx.fragment.app.FragmentActivity
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import se.nyckelfri.app.R

/**
 * "Is this the phone's owner?" before a door opens: a biometric or the
 * device PIN/pattern/password, through the system prompt.
 *
 * Made in the activity's onCreate: androidx.biometric hands an ongoing
 * prompt's result to the callback registered by the newest activity
 * instance, so a rotation mid-prompt still answers the waiting caller,
 * whose deferred lives here in the companion, not in the activity.
 */
class BiometricConfirmer(private val activity: FragmentActivity) {
    private val prompt = BiometricPrompt(
        activity,
        ContextCompat.getMainExecutor(activity),
        object : BiometricPrompt.AuthenticationCallback() {
            override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) {
                finish(true)
            }

            // Cancelled, locked out, too many tries, app left: not confirmed.
            override fun onAuthenticationError(errorCode: Int, errString: CharSequence) {
                finish(false)
            }

            // A finger that did not match: the prompt stays open for another try.
            override fun onAuthenticationFailed() = Unit
        },
    )

    /** True only when the user confirmed; suspends while the prompt shows. */
    suspend fun confirm(title: String, subtitle: String): Boolean = withContext(Dispatchers.Main) {
        val authenticators = when (ConfirmMethod.forSdk(Build.VERSION.SDK_INT)) {
            ConfirmMethod.STRONG_BIOMETRIC_OR_CREDENTIAL -> BIOMETRIC_STRONG or DEVICE_CREDENTIAL
            ConfirmMethod.WEAK_BIOMETRIC_OR_CREDENTIAL -> BIOMETRIC_WEAK or DEVICE_CREDENTIAL
        }
        if (BiometricManager.from(activity).canAuthenticate(authenticators) != BiometricManager.BIOMETRIC_SUCCESS) {
            // No screen lock at all: opening doors from an unlocked, unguarded phone is what this prevents.
            Toast.makeText(activity, R.string.platform_confirm_needs_screen_lock, Toast.LENGTH_LONG).show()
            return@withContext false
        }
        val result = CompletableDeferred<Boolean>()
        pending?.complete(false)
        pending = result
        // With DEVICE_CREDENTIAL allowed the system draws its own "use PIN"
        // button, so no negative button may be set.
        val info = BiometricPrompt.PromptInfo.Builder()
            .setTitle(title.ifBlank { activity.getString(R.string.platform_confirm_title) })
            .setSubtitle(subtitle)
            .setAllowedAuthenticators(authenticators)
            .setConfirmationRequired(false)
            .build()
        prompt.authenticate(info)
        try {
            result.await()
        } finally {
            if (result.isActive) {
                // The caller gave up (screen left, coroutine cancelled): take the prompt down too.
                result.cancel()
                prompt.cancelAuthentication()
            }
            if (pending === result) pending = null
        }
    }

    private companion object {
        @Volatile
        var pending: CompletableDeferred<Boolean>? = null

        fun finish(confirmed: Boolean) {
            pending?.complete(confirmed)
            pending = null
        }
    }
}
