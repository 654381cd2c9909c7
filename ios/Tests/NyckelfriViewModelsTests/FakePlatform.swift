import NyckelfriViewModels

/// The phone's OS as the tests play it: says yes or no when the user is
/// asked to confirm, and records what was dialed and asked.
@MainActor
final class FakePlatform: Platform {
    var bluetoothReady = true
    var userConfirms = true
    private(set) var dialed: [String] = []
    private(set) var confirmations: [ConfirmReason] = []

    func dial(_ number: String) { dialed.append(number) }

    func confirmUser(reason: ConfirmReason) async -> Bool {
        confirmations.append(reason)
        return userConfirms
    }
}
