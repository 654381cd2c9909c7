package se.nyckelfri.app

import java.util.concurrent.CopyOnWriteArrayList
import se.nyckelfri.app.ui.Platform

/**
 * The platform's part, faked: there is no phone here. [onConfirm] runs when
 * the biometric prompt would show, so a test can look at the core then.
 */
class FakePlatform(
    var confirmAnswer: Boolean = true,
    var bluetooth: Boolean = true,
    val onConfirm: () -> Unit = {},
) : Platform {
    val dialed = CopyOnWriteArrayList<String>()
    val confirmTitles = CopyOnWriteArrayList<String>()
    var bluetoothRequests = 0

    override fun dial(phoneNumber: String) {
        dialed.add(phoneNumber)
    }

    override suspend fun confirmUser(title: String, subtitle: String): Boolean {
        confirmTitles.add("$title / $subtitle")
        onConfirm()
        return confirmAnswer
    }

    override fun bluetoothReady(): Boolean = bluetooth

    override fun requestBluetooth() {
        bluetoothRequests++
    }
}
