import NyckelfriCore

/// What only the phone's OS can do. The app implements it with UIKit,
/// LocalAuthentication and CoreBluetooth; tests with a fake that records.
@MainActor
public protocol Platform: AnyObject {
    /// Whether Bluetooth is on and allowed (always true with simulated locks).
    var bluetoothReady: Bool { get }
    /// Opens the phone's dialer with `number` (the user still presses call).
    func dial(_ number: String)
    /// Asks the user to prove who they are (biometrics or passcode).
    func confirmUser(reason: ConfirmReason) async -> Bool
}

/// Why the user is asked to confirm; the platform shows it localized.
public enum ConfirmReason: Equatable, Sendable {
    /// Before a door is opened: the core signs with the device key only
    /// after the person holding the phone has been checked.
    case openDoor(brukareName: String)
}

/// What every screen's view model needs: the core, the platform and the
/// language the core's texts (guidance, agreements) come in.
@MainActor
public struct Session {
    public let app: NyckelfriApp
    public let platform: Platform
    public let language: Language

    public init(app: NyckelfriApp, platform: Platform, language: Language) {
        self.app = app
        self.platform = platform
        self.language = language
    }
}
