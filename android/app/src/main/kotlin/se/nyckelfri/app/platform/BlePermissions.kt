package se.nyckelfri.app.platform

/**
 * What Bluetooth LE needs from the user, by Android version. Plain strings
 * (the values of `android.Manifest.permission`) so this is tested on the
 * JVM; the manifest declares the same set with the same SDK bounds.
 */
object BlePermissions {
    const val SCAN = "android.permission.BLUETOOTH_SCAN"
    const val CONNECT = "android.permission.BLUETOOTH_CONNECT"
    const val FINE_LOCATION = "android.permission.ACCESS_FINE_LOCATION"

    /** Android 12: the first version with the Nearby devices permissions. */
    const val NEARBY_DEVICES_SDK = 31

    /**
     * The runtime permissions to ask for. From Android 12 scanning is
     * declared `neverForLocation`, so no location permission is asked for;
     * before it, a BLE scan returns nothing without fine location (API 29+
     * demands fine, and fine covers coarse on 26–28).
     */
    fun runtime(sdkInt: Int): List<String> =
        if (sdkInt >= NEARBY_DEVICES_SDK) listOf(SCAN, CONNECT) else listOf(FINE_LOCATION)

    /** The runtime permissions not granted yet. */
    fun missing(sdkInt: Int, granted: (String) -> Boolean): List<String> =
        runtime(sdkInt).filterNot(granted)

    /**
     * Before Android 12 scans also find nothing while location services are
     * off, even with the permission granted.
     */
    fun needsLocationServices(sdkInt: Int): Boolean = sdkInt < NEARBY_DEVICES_SDK

    /** What stands between the user and opening a door, first things first. */
    fun nextNeed(sdkInt: Int, missing: List<String>, radioOn: Boolean, locationOn: Boolean): BluetoothNeed =
        when {
            missing.isNotEmpty() -> BluetoothNeed.PERMISSIONS
            !radioOn -> BluetoothNeed.RADIO_ON
            needsLocationServices(sdkInt) && !locationOn -> BluetoothNeed.LOCATION_ON
            else -> BluetoothNeed.NOTHING
        }
}

/** The one thing to ask the user for next. */
enum class BluetoothNeed {
    /** Grant the runtime permissions. */
    PERMISSIONS,

    /** Turn Bluetooth on (asking needs CONNECT on 12+, so permissions come first). */
    RADIO_ON,

    /** Turn location services on (Android 11 and older only). */
    LOCATION_ON,

    /** Ready to scan and connect. */
    NOTHING,
}
