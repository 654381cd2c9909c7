import CoreBluetooth
import LocalAuthentication
import UIKit
import NyckelfriViewModels

/// What only iOS does for the view models: the dialer, Face ID / Touch ID
/// or the passcode, and whether Bluetooth is on.
@MainActor
final class IOSPlatform: NSObject, Platform {
    private let simulatedLocks: Bool
    private var central: CBCentralManager?
    private var bluetoothState: CBManagerState = .unknown

    /// With simulated locks (demo mode) Bluetooth is not needed, and not asked for.
    init(simulatedLocks: Bool) {
        self.simulatedLocks = simulatedLocks
        super.init()
        if !simulatedLocks {
            // Only watches the state (and asks for permission at first start);
            // the core's btleplug has its own manager for the locks.
            central = CBCentralManager(delegate: self, queue: .main)
        }
    }

    var bluetoothReady: Bool { simulatedLocks || bluetoothState == .poweredOn }

    func dial(_ number: String) {
        guard let s = telURLString(number), let url = URL(string: s) else { return }
        UIApplication.shared.open(url)
    }

    func confirmUser(reason: ConfirmReason) async -> Bool {
        let context = LAContext()
        var error: NSError?
        // Biometrics, falling back to the passcode: a phone without either
        // is not allowed to open doors.
        guard context.canEvaluatePolicy(.deviceOwnerAuthentication, error: &error) else { return false }
        let text: String
        switch reason {
        case .openDoor(let name): text = L(reason.l10nKey, name)
        }
        do {
            return try await context.evaluatePolicy(.deviceOwnerAuthentication, localizedReason: text)
        } catch {
            return false
        }
    }
}

extension IOSPlatform: CBCentralManagerDelegate {
    nonisolated func centralManagerDidUpdateState(_ central: CBCentralManager) {
        let state = central.state
        // The manager was made with the main queue.
        MainActor.assumeIsolated { self.bluetoothState = state }
    }
}
