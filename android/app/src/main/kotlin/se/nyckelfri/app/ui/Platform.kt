package se.nyckelfri.app.ui

/** What only the platform can do; Android implements it, desktop tests fake it. */
interface Platform {
    /** Opens the phone's dialer with the number (never calls by itself). */
    fun dial(phoneNumber: String)

    /** Biometric or device PIN confirmation before unlocking; true when confirmed. */
    suspend fun confirmUser(title: String, subtitle: String): Boolean

    /** Whether Bluetooth is usable now (permissions granted, radio on); the door screen explains when not. */
    fun bluetoothReady(): Boolean

    /** Asks for the Bluetooth permissions (Android 12+: BLUETOOTH_SCAN, BLUETOOTH_CONNECT). */
    fun requestBluetooth()
}
