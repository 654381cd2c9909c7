package se.nyckelfri.app

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import se.nyckelfri.app.platform.ConfirmMethod

/** Before the door opens: Class 3 biometric or PIN, except where Android cannot combine them. */
class ConfirmMethodTest {
    @Test
    fun `the PIN is always accepted and the biometric is Class 3 except on Android 9 and 10`() {
        for (sdk in listOf(26, 27, 30, 31, 34, 35)) {
            assertEquals(ConfirmMethod.STRONG_BIOMETRIC_OR_CREDENTIAL, ConfirmMethod.forSdk(sdk), "sdk $sdk")
        }
        for (sdk in listOf(28, 29)) {
            assertEquals(ConfirmMethod.WEAK_BIOMETRIC_OR_CREDENTIAL, ConfirmMethod.forSdk(sdk), "sdk $sdk")
        }
    }
}
