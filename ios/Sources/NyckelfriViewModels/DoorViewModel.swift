import Observation
import NyckelfriCore

/// Opening the door of one visit: Bluetooth check, the user's confirmation,
/// the core's progress steps, the outcome.
@MainActor
@Observable
public final class DoorViewModel {
    public enum Phase: Equatable {
        case ready
        /// Bluetooth is off or not allowed: nothing was tried.
        case bluetoothOff
        case confirming
        /// The user did not confirm: the core was never asked.
        case declined
        case opening
        case finished(UnlockOutcome)
        case failed(Problem)
    }

    public let visit: VisitView
    public private(set) var phase: Phase = .ready
    /// The steps the core reported, in order (Searching, Connecting, ...).
    public private(set) var steps: [UnlockStep] = []

    private let session: Session

    public init(session: Session, visit: VisitView) {
        self.session = session
        self.visit = visit
    }

    public var busy: Bool { phase == .confirming || phase == .opening }

    public var outcome: UnlockOutcome? {
        if case .finished(let o) = phase { return o }
        return nil
    }

    /// Whether the door opened (a low battery still opened it).
    public var opened: Bool {
        switch outcome {
        case .opened?, .openedBatteryLow?: return true
        default: return false
        }
    }

    /// The failure the outcome stands for, as the core maps it (none for a
    /// clean opening; a low battery is one even though the door opened).
    public var failure: FailureKind? {
        outcome.flatMap { failureKindForOutcome(outcome: $0) }
    }

    /// Whether the outage routine has steps for this outcome (R2).
    public var needsGuidance: Bool { failure != nil }

    public func open() async {
        guard !busy else { return }
        guard session.platform.bluetoothReady else {
            phase = .bluetoothOff
            return
        }
        phase = .confirming
        // The core signs with the device key; who holds the phone is checked first.
        guard await session.platform.confirmUser(reason: .openDoor(brukareName: visit.brukareName)) else {
            phase = .declined
            return
        }
        steps = []
        phase = .opening
        do {
            let visitId = visit.visitId
            let app = session.app
            let outcome = try await withSteps({ [weak self] in self?.steps.append($0) }) {
                try await app.openDoor(visitId: visitId, listener: $0)
            }
            phase = .finished(outcome)
        } catch {
            phase = .failed(Problem(error))
        }
    }

    /// The outage routine for this outcome (R2.6–R2.15).
    public func guidance() -> GuidanceViewModel? {
        guard let o = outcome else { return nil }
        return GuidanceViewModel(session: session, outcome: o, visit: visit)
    }
}
