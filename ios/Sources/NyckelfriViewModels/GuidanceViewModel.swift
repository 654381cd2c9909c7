import Observation
import NyckelfriCore

/// One step of the outage routine as a checklist row.
public struct ChecklistItem: Identifiable, Equatable {
    public let id: Int
    public let step: GuidanceStep
    public var done: Bool

    /// The number the step's button dials, if it is a call: the
    /// coordinator (R2.6), or the night patrol after hours (R2.12, R2.13).
    public var phoneNumber: String? {
        switch step.action {
        case .callCoordinator(let phone): return phone
        case .callNightPatrol(let phone): return phone
        case .notifyNightPatrolAndAlarmGroup(let phone): return phone
        default: return nil
        }
    }

    /// Whether the step's button opens the failed-lock report (R2.9).
    public var opensReport: Bool {
        if case .documentOutage = step.action { return true }
        return false
    }
}

/// What to do now that a lock failed: the core's steps for the failure
/// (R2), ticked off as they are done; calls go to the phone's dialer and
/// the report (R2.9) records the steps done.
@MainActor
@Observable
public final class GuidanceViewModel {
    public private(set) var items: [ChecklistItem] = []
    public private(set) var problem: Problem?
    /// The failed-lock report once made (R2.9); later ticks go to it.
    public private(set) var reportId: String?

    public let failure: FailureKind
    public let visitId: String?
    public let lockId: String?
    private let outcome: UnlockOutcome?
    private let session: Session

    /// For a door that did not open cleanly; nil for a clean opening, which
    /// has no routine to follow. The core says which failure the outcome is.
    public init?(session: Session, outcome: UnlockOutcome, visit: VisitView) {
        guard let failure = failureKindForOutcome(outcome: outcome) else { return nil }
        self.session = session
        self.outcome = outcome
        self.failure = failure
        visitId = visit.visitId
        lockId = visit.lockId
        load()
    }

    /// For a failure reported by hand (a lock found broken, the app failing).
    public init(session: Session, failure: FailureKind, visitId: String?, lockId: String?) {
        self.session = session
        outcome = nil
        self.failure = failure
        self.visitId = visitId
        self.lockId = lockId
        load()
    }

    /// Routine ids of the steps done, in the routine's order.
    public var stepsDone: [String] {
        items.filter(\.done).compactMap(\.step.routineId)
    }

    public func load() {
        do {
            let steps: [GuidanceStep]
            if let outcome {
                steps = try session.app.guidanceForOutcome(
                    outcome: outcome, visitId: visitId, language: session.language)
            } else {
                steps = try session.app.guidanceForFailure(
                    failure: failure, visitId: visitId, lockId: lockId, language: session.language)
            }
            items = steps.enumerated().map { ChecklistItem(id: $0.offset, step: $0.element, done: false) }
            problem = nil
        } catch {
            problem = Problem(error)
        }
    }

    /// The step's own action: a call opens the dialer (R2.6) and counts as
    /// done; the other steps are ticked by hand.
    public func perform(_ item: ChecklistItem) {
        guard let number = item.phoneNumber else { return }
        session.platform.dial(number)
        setDone(item, true)
    }

    public func setDone(_ item: ChecklistItem, _ done: Bool) {
        guard let i = items.firstIndex(where: { $0.id == item.id }), items[i].done != done else { return }
        items[i].done = done
        // A report already made learns of the step when it is done (sent on the next sync).
        if done, let reportId, let routineId = items[i].step.routineId {
            do {
                try session.app.markStepDone(reportId: reportId, routineId: routineId)
            } catch {
                problem = Problem(error)
            }
        }
    }

    /// The failed-lock report screen (R2.9), filled in from this failure.
    public func makeReport() -> ReportViewModel {
        let vm = ReportViewModel(
            session: session, lockId: lockId, visitId: visitId, failure: failure, stepsDone: stepsDone)
        vm.onSubmitted = { [weak self] id in self?.reportSubmitted(id) }
        return vm
    }

    private func reportSubmitted(_ id: String) {
        reportId = id
        // Documenting is itself the R2.9 step.
        if let i = items.firstIndex(where: \.opensReport) { items[i].done = true }
    }
}
