package se.nyckelfri.app.platform

import android.content.ActivityNotFoundException
import android.content.Intent
import android.net.Uri
import android.widget.Toast
import androidx.fragment.app.FragmentActivity
import se.nyckelfri.app.R
import se.nyckelfri.app.ui.Platform

/**
 * What the shared screens ask of the phone. Made in the activity's onCreate
 * (its prompt and launchers must be registered then).
 */
class AndroidPlatform(private val activity: FragmentActivity) : Platform {
    private val confirmer = BiometricConfirmer(activity)
    private val bluetooth = BluetoothAccess(activity)

    /** Opens the dialer with the number filled in; the worker presses call (no CALL_PHONE). */
    override fun dial(phoneNumber: String) {
        val intent = Intent(Intent.ACTION_DIAL, Uri.fromParts("tel", phoneNumber, null))
        try {
            activity.startActivity(intent)
        } catch (e: ActivityNotFoundException) {
            // A tablet without telephony: the number must still reach the worker.
            Toast.makeText(activity, activity.getString(R.string.platform_no_dialer, phoneNumber), Toast.LENGTH_LONG).show()
        }
    }

    override suspend fun confirmUser(title: String, subtitle: String): Boolean = confirmer.confirm(title, subtitle)

    override fun bluetoothReady(): Boolean = bluetooth.ready()

    override fun requestBluetooth() = bluetooth.request()
}
