import Foundation
import Observation
import NyckelfriCore

/// R2.9: the worker documents that a lock is out of order (offline if need
/// be; sent on the next sync), and sees the reports made on this phone.
@MainActor
@Observable
public final class ReportViewModel {
    public var lockId: String
    public var failure: FailureKind
    public let visitId: String?
    public let stepsDone: [String]
    public private(set) var reports: [OutageReportView] = []
    public private(set) var submittedId: String?
    public private(set) var problem: Problem?
    var onSubmitted: ((String) -> Void)?

    private let session: Session

    public init(
        session: Session, lockId: String? = nil, visitId: String? = nil,
        failure: FailureKind = .manualReport, stepsDone: [String] = []
    ) {
        self.session = session
        self.lockId = lockId ?? ""
        self.visitId = visitId
        self.failure = failure
        self.stepsDone = stepsDone
        load()
    }

    public var canSubmit: Bool { submittedId == nil && (!lockId.isEmpty || visitId != nil) }

    public func load() {
        do {
            reports = try session.app.outageReports(limit: 50)
        } catch {
            problem = Problem(error)
        }
    }

    // R2.9
    public func submit() {
        guard canSubmit else { return }
        let lock = lockId.trimmingCharacters(in: .whitespaces)
        do {
            let id = try session.app.reportFailedLock(report: FailedLockReport(
                lockId: lock.isEmpty ? nil : lock, visitId: visitId, failure: failure, stepsDone: stepsDone))
            submittedId = id
            problem = nil
            onSubmitted?(id)
        } catch {
            problem = Problem(error)
        }
        load()
    }
}

extension FailureKind {
    /// The failures a worker can pick when reporting by hand (R2.9).
    public static let manualChoices: [FailureKind] = [
        .jammed, .lockNotFound, .linkLost, .noKey, .keyExpired, .decisionEnded,
        .batteryLow, .appFailure, .manualReport,
    ]
}
