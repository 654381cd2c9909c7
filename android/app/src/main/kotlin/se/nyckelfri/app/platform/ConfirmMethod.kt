package se.nyckelfri.app.platform

/**
 * Which confirmations the door accepts before unlocking, by Android version.
 * A PIN, pattern or password must always be accepted (gloves, wet hands,
 * no enrolled fingerprint), and the biometric should be Class 3 where the
 * platform allows combining it with the PIN.
 */
enum class ConfirmMethod {
    /** Class 3 biometric, or the device PIN/pattern/password. */
    STRONG_BIOMETRIC_OR_CREDENTIAL,

    /** Class 2 (or better) biometric, or the device PIN/pattern/password. */
    WEAK_BIOMETRIC_OR_CREDENTIAL;

    companion object {
        /**
         * androidx.biometric cannot combine Class 3 with the device credential
         * on API 28–29; there the PIN fallback wins over biometric class.
         */
        fun forSdk(sdkInt: Int): ConfirmMethod =
            if (sdkInt in 28..29) WEAK_BIOMETRIC_OR_CREDENTIAL else STRONG_BIOMETRIC_OR_CREDENTIAL
    }
}
