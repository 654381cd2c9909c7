import Observation
import NyckelfriCore

/// R2.12: where the night patrol's message stands.
public enum NightPatrolState: Equatable, Sendable {
    case messaged(at: Int64)
    /// Not messaged and the deadline (17:00) has passed.
    case overdue(deadline: Int64)
    case due(by: Int64)
}

/// R2.7: what the care decision allows.
public enum DecisionState: Equatable, Sendable {
    case valid(endsAt: Int64?)
    case endsToday(endsAt: Int64?)
    /// Ended: a lock cannot be opened; the needs assessor is to be contacted.
    case ended(contactNeedsAssessor: Bool)
    case notStarted
    /// No decision on file (or the brukare is unknown): check by hand.
    case unknown
}

extension OutageCase {
    // R2.12: the server says whether it is overdue; the deadline is shown too.
    public var nightPatrol: NightPatrolState {
        if let at = nightPatrolMessagedAt { return .messaged(at: at) }
        return nightPatrolOverdue ? .overdue(deadline: nightPatrolDeadlineAt) : .due(by: nightPatrolDeadlineAt)
    }

    // R2.7
    public var decision: DecisionState {
        switch decisionStatus {
        case "valid": return .valid(endsAt: decisionEndsAt)
        case "ends_today": return .endsToday(endsAt: decisionEndsAt)
        case "ended": return .ended(contactNeedsAssessor: contactNeedsAssessor)
        case "not_started": return .notStarted
        default: return .unknown
        }
    }
}

/// The coordinator's open outage cases and the routine's three actions:
/// inform the alarm group (R2.11), the night patrol by 17:00 (R2.12), and
/// document that the lock works again (R2.10).
@MainActor
@Observable
public final class CoordinatorViewModel {
    public private(set) var cases: [OutageCase] = []
    public private(set) var loading = false
    /// The case an action is running for.
    public private(set) var busyCaseId: String?
    public private(set) var problem: Problem?

    private let session: Session

    public init(session: Session) {
        self.session = session
    }

    /// R2.12: how many cases still need the night patrol told after the deadline.
    public var overdueCount: Int { cases.filter(\.nightPatrolOverdue).count }

    public func load() async {
        loading = true
        defer { loading = false }
        do {
            cases = try await session.app.openOutages()
            problem = nil
        } catch {
            problem = Problem(error)
        }
    }

    // R2.11
    public func informAlarmGroup(_ c: OutageCase, note: String? = nil) async {
        await act(c) { try await $0.informAlarmGroup(outageId: c.id, note: note) }
    }

    // R2.12
    public func informNightPatrol(_ c: OutageCase, note: String? = nil) async {
        await act(c) { try await $0.informNightPatrol(outageId: c.id, note: note) }
    }

    // R2.10: a closed case leaves the list of open ones.
    public func markLockWorking(_ c: OutageCase, note: String? = nil) async {
        await act(c) { try await $0.markLockWorking(outageId: c.id, note: note) }
    }

    private func act(_ c: OutageCase, _ call: (NyckelfriApp) async throws -> OutageCase) async {
        guard busyCaseId == nil else { return }
        busyCaseId = c.id
        defer { busyCaseId = nil }
        do {
            let updated = try await call(session.app)
            if let i = cases.firstIndex(where: { $0.id == updated.id }) {
                if updated.status == "open" { cases[i] = updated } else { cases.remove(at: i) }
            }
            problem = nil
        } catch {
            problem = Problem(error)
        }
    }
}
