import Foundation
import Observation
import NyckelfriCore

/// Enrolling the phone with the one-time code from the coordinator.
@MainActor
@Observable
public final class EnrollViewModel {
    public enum Phase: Equatable {
        case editing
        case enrolling
        case enrolled(Enrollment)
        case failed(Problem)
    }

    public var serverURL: String
    public var code = ""
    /// What the server shows for this phone (e.g. "Aminas telefon").
    public var deviceLabel: String
    public private(set) var phase: Phase = .editing

    private let session: Session

    public init(session: Session, serverURL: String = "", deviceLabel: String = "") {
        self.session = session
        self.serverURL = serverURL
        self.deviceLabel = deviceLabel
    }

    public var canEnroll: Bool {
        phase != .enrolling && !trimmed(serverURL).isEmpty && !trimmed(code).isEmpty
            && !trimmed(deviceLabel).isEmpty
    }

    /// Where to go once enrolled.
    public var home: Home? {
        if case .enrolled(let e) = phase { return Home(role: e.role) }
        return nil
    }

    /// Enrolls, then syncs once so the first screen has the day's keys; a
    /// failed first sync is not a failed enrollment (the visits screen
    /// shows it and syncs again).
    public func enroll() async {
        guard canEnroll else { return }
        phase = .enrolling
        do {
            let e = try await session.app.enroll(
                serverUrl: trimmed(serverURL), code: trimmed(code), label: trimmed(deviceLabel))
            _ = try? await session.app.sync()
            phase = .enrolled(e)
        } catch {
            phase = .failed(Problem(error))
        }
    }

    private func trimmed(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
