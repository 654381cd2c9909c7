package se.nyckelfri.app

import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.w3c.dom.Element
import se.nyckelfri.app.platform.BlePermissions
import se.nyckelfri.app.platform.BluetoothNeed

/** The Bluetooth permissions asked for on each Android version the app runs on (minSdk 26 to 35). */
class BlePermissionsTest {
    private val supported = 26..35

    @Test
    fun `Android 12 and later ask for nearby devices, older versions for fine location`() {
        for (sdk in 26..30) assertEquals(listOf(BlePermissions.FINE_LOCATION), BlePermissions.runtime(sdk), "sdk $sdk")
        for (sdk in 31..35) assertEquals(listOf(BlePermissions.SCAN, BlePermissions.CONNECT), BlePermissions.runtime(sdk), "sdk $sdk")
    }

    @Test
    fun `only permissions not yet granted are asked for`() {
        assertEquals(listOf(BlePermissions.CONNECT), BlePermissions.missing(33) { it == BlePermissions.SCAN })
        assertEquals(emptyList<String>(), BlePermissions.missing(29) { true })
        assertEquals(listOf(BlePermissions.FINE_LOCATION), BlePermissions.missing(29) { it == BlePermissions.SCAN })
    }

    @Test
    fun `permissions come first, then the radio, then location services before Android 12`() {
        val none = emptyList<String>()
        assertEquals(BluetoothNeed.PERMISSIONS, BlePermissions.nextNeed(34, listOf(BlePermissions.SCAN), radioOn = false, locationOn = false))
        assertEquals(BluetoothNeed.RADIO_ON, BlePermissions.nextNeed(34, none, radioOn = false, locationOn = false))
        assertEquals(BluetoothNeed.NOTHING, BlePermissions.nextNeed(34, none, radioOn = true, locationOn = false))
        assertEquals(BluetoothNeed.LOCATION_ON, BlePermissions.nextNeed(30, none, radioOn = true, locationOn = false))
        assertEquals(BluetoothNeed.NOTHING, BlePermissions.nextNeed(30, none, radioOn = true, locationOn = true))
    }

    /** uses-permission name to its maxSdkVersion (null: every version). */
    private fun manifestPermissions(): Map<String, Int?> {
        val manifest = File("../app/src/main/AndroidManifest.xml")
        val doc = DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }.newDocumentBuilder().parse(manifest)
        val android = "http://schemas.android.com/apk/res/android"
        val nodes = doc.getElementsByTagName("uses-permission")
        return (0 until nodes.length).map { nodes.item(it) as Element }.associate { e ->
            e.getAttributeNS(android, "name") to e.getAttributeNS(android, "maxSdkVersion").toIntOrNull()
        }
    }

    @Test
    fun `the manifest declares every runtime permission on every version it is asked for`() {
        val declared = manifestPermissions()
        for (sdk in supported) for (p in BlePermissions.runtime(sdk)) {
            assertTrue(p in declared, "$p is asked for on $sdk but not declared")
            val max = declared[p]
            assertTrue(max == null || max >= sdk, "$p is asked for on $sdk but declared only up to $max")
        }
    }

    @Test
    fun `the manifest never asks for location on Android 12 and later, nor for calls`() {
        val declared = manifestPermissions()
        for (p in listOf("android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION")) {
            val max = declared[p]
            assertTrue(p !in declared || (max != null && max < BlePermissions.NEARBY_DEVICES_SDK), "$p up to $max")
        }
        assertFalse("android.permission.CALL_PHONE" in declared, "the dialer is opened with ACTION_DIAL; no CALL_PHONE")
        assertTrue("android.permission.USE_BIOMETRIC" in declared)
    }
}
