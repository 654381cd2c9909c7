package se.nyckelfri.app.platform

import android.bluetooth.BluetoothAdapter
import android.bluetooth.BluetoothManager
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.content.pm.PackageManager
import android.location.LocationManager
import android.net.Uri
import android.os.Build
import android.provider.Settings
import android.widget.Toast
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.mutableIntStateOf
import androidx.core.content.ContextCompat
import androidx.core.location.LocationManagerCompat
import androidx.fragment.app.FragmentActivity
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleEventObserver
import se.nyckelfri.app.R

/**
 * Whether the phone can reach a lock now, and the one request that gets it
 * closer: the runtime permissions, then the radio, then (Android 11 and
 * older) location services. Made in the activity's onCreate, because
 * activity-result launchers must be registered before the activity starts.
 */
class BluetoothAccess(private val activity: FragmentActivity) {
    private val sdk = Build.VERSION.SDK_INT
    private var askedForPermissions = false

    // Read by ready(): a composable that asks is recomposed when the answer
    // may have changed (a permission dialog, the radio or location switched
    // in quick settings, a return from the settings app), which it could
    // not otherwise observe through the Platform interface.
    private val changes = mutableIntStateOf(0)

    private fun changed() {
        changes.intValue++
    }

    private val permissionLauncher =
        activity.registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { changed() }

    private val enableLauncher =
        activity.registerForActivityResult(ActivityResultContracts.StartActivityForResult()) { changed() }

    private val switches = object : BroadcastReceiver() {
        override fun onReceive(context: Context, intent: Intent) = changed()
    }

    init {
        activity.lifecycle.addObserver(
            LifecycleEventObserver { _, event ->
                when (event) {
                    Lifecycle.Event.ON_START -> ContextCompat.registerReceiver(
                        activity,
                        switches,
                        IntentFilter().apply {
                            addAction(BluetoothAdapter.ACTION_STATE_CHANGED)
                            addAction(LocationManager.PROVIDERS_CHANGED_ACTION)
                        },
                        ContextCompat.RECEIVER_NOT_EXPORTED,
                    )
                    Lifecycle.Event.ON_RESUME -> changed()
                    Lifecycle.Event.ON_STOP -> activity.unregisterReceiver(switches)
                    else -> Unit
                }
            },
        )
    }

    private fun missing(): List<String> = BlePermissions.missing(sdk) {
        ContextCompat.checkSelfPermission(activity, it) == PackageManager.PERMISSION_GRANTED
    }

    private fun radioOn(): Boolean =
        activity.getSystemService(BluetoothManager::class.java)?.adapter?.isEnabled == true

    private fun locationOn(): Boolean =
        activity.getSystemService(LocationManager::class.java)
            ?.let(LocationManagerCompat::isLocationEnabled) == true

    private fun need(): BluetoothNeed = BlePermissions.nextNeed(sdk, missing(), radioOn(), locationOn())

    fun ready(): Boolean {
        changes.intValue // subscribes the calling composition
        return need() == BluetoothNeed.NOTHING
    }

    fun request() {
        when (need()) {
            BluetoothNeed.PERMISSIONS -> requestPermissions()
            BluetoothNeed.RADIO_ON -> try {
                enableLauncher.launch(Intent(BluetoothAdapter.ACTION_REQUEST_ENABLE))
            } catch (e: SecurityException) {
                // A device policy can forbid apps to switch the radio: send the user to the setting.
                activity.startActivity(Intent(Settings.ACTION_BLUETOOTH_SETTINGS))
            }
            BluetoothNeed.LOCATION_ON -> {
                toast(R.string.platform_ble_location_services)
                activity.startActivity(Intent(Settings.ACTION_LOCATION_SOURCE_SETTINGS))
            }
            BluetoothNeed.NOTHING -> changed()
        }
    }

    private fun requestPermissions() {
        val missing = missing()
        // After "don't ask again" the system answers a request with a silent
        // refusal; only the app's settings page can grant it then.
        val refusedForGood = askedForPermissions &&
            missing.none { activity.shouldShowRequestPermissionRationale(it) }
        if (refusedForGood) {
            toast(R.string.platform_ble_permission_settings)
            activity.startActivity(
                Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", activity.packageName, null)),
            )
            return
        }
        if (missing.any { activity.shouldShowRequestPermissionRationale(it) }) {
            toast(R.string.platform_ble_permission_rationale)
        }
        askedForPermissions = true
        permissionLauncher.launch(missing.toTypedArray())
    }

    private fun toast(text: Int) = Toast.makeText(activity, text, Toast.LENGTH_LONG).show()
}
