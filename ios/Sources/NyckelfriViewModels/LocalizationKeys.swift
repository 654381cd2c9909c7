import NyckelfriCore

// The keys under which the views find the words for the view models'
// states, in App/Resources/{sv,en}.lproj/Localizable.strings. A key's
// arguments are strings (%@), formatted by the view (times in the user's
// locale). LocalizationKeys.all lists every key these give; a test checks
// both languages have them.

extension UnlockStep {
    public var l10nKey: String {
        switch self {
        case .searching: return "unlock.step.searching"
        case .connecting: return "unlock.step.connecting"
        case .verifying: return "unlock.step.verifying"
        case .retrying: return "unlock.step.retrying"
        case .open: return "unlock.step.open"
        }
    }
}

extension Problem {
    /// `.refused` takes the server's code as its argument.
    public var l10nKey: String {
        switch self {
        case .offline: return "problem.offline"
        case .notEnrolled: return "problem.not_enrolled"
        case .codeNotAccepted: return "problem.code_not_accepted"
        case .deviceRevoked: return "problem.device_revoked"
        case .notAllowed: return "problem.not_allowed"
        case .noKey: return "problem.no_key"
        case .conflict: return "problem.conflict"
        case .refused: return "problem.refused"
        case .notFound: return "problem.not_found"
        case .invalidInput: return "problem.invalid_input"
        case .keystore: return "problem.keystore"
        case .storage: return "problem.storage"
        case .databaseMovedAside: return "problem.database_moved_aside"
        case .updateApp: return "problem.update_app"
        case .unexpected: return "problem.unexpected"
        }
    }
}

extension VisitsBanner {
    /// `.offline` with keys takes the time they are valid until.
    public var l10nKey: String {
        switch self {
        case .offline(let until): return until == nil ? "visits.banner.offline_no_keys" : "visits.banner.offline_until"
        case .noValidKeys: return "visits.banner.no_valid_keys"
        case .clockNotTrusted: return "visits.banner.clock_not_trusted"
        }
    }
}

extension KeyStatus {
    /// Ready, not yet valid and expired take a time.
    public var l10nKey: String {
        switch self {
        case .ready: return "key.ready_until"
        case .notYetValid: return "key.not_yet_valid"
        case .expired: return "key.expired"
        case .decisionEnded: return "key.decision_ended"
        case .noKey: return "key.none"
        }
    }
}

extension DoorViewModel.Phase {
    /// `.finished` and `.failed` are told by the outcome's and problem's keys.
    public var l10nKey: String? {
        switch self {
        case .ready: return "door.phase.ready"
        case .bluetoothOff: return "door.phase.bluetooth_off"
        case .confirming: return "door.phase.confirming"
        case .declined: return "door.phase.declined"
        case .opening: return "door.phase.opening"
        case .finished, .failed: return nil
        }
    }
}

extension UnlockOutcome {
    /// A low battery takes its percentage; a refusal the lock's code.
    public var l10nKey: String {
        switch self {
        case .opened: return "door.outcome.opened"
        case .openedBatteryLow: return "door.outcome.opened_battery_low"
        case .lockNotFound: return "door.outcome.lock_not_found"
        case .linkLost: return "door.outcome.link_lost"
        case .refused: return "door.outcome.refused"
        case .noKey: return "door.outcome.no_key"
        case .keyNotYetValid: return "door.outcome.key_not_yet_valid"
        case .keyExpired: return "door.outcome.key_expired"
        case .decisionEnded: return "door.outcome.decision_ended"
        case .jammed: return "door.outcome.jammed"
        case .receiptInvalid: return "door.outcome.receipt_invalid"
        }
    }
}

extension FailureKind {
    public var l10nKey: String {
        switch self {
        case .lockNotFound: return "failure.lock_not_found"
        case .linkLost: return "failure.link_lost"
        case .jammed: return "failure.jammed"
        case .refused: return "failure.refused"
        case .noKey: return "failure.no_key"
        case .keyExpired: return "failure.key_expired"
        case .keyNotYetValid: return "failure.key_not_yet_valid"
        case .decisionEnded: return "failure.decision_ended"
        case .batteryLow: return "failure.battery_low"
        case .appFailure: return "failure.app_failure"
        case .manualReport: return "failure.manual"
        }
    }
}

extension NightPatrolState {
    /// Each takes a time: when messaged, or the deadline.
    public var l10nKey: String {
        switch self {
        case .messaged: return "coordinator.night_patrol.messaged"
        case .overdue: return "coordinator.night_patrol.overdue"
        case .due: return "coordinator.night_patrol.due"
        }
    }
}

extension DecisionState {
    /// Valid and ending today take the end time when it is known.
    public var l10nKey: String {
        switch self {
        case .valid(let end): return end == nil ? "coordinator.decision.valid" : "coordinator.decision.valid_until"
        case .endsToday(let end):
            return end == nil ? "coordinator.decision.ends_today" : "coordinator.decision.ends_today_at"
        case .ended(let assessor):
            return assessor ? "coordinator.decision.ended_contact_assessor" : "coordinator.decision.ended"
        case .notStarted: return "coordinator.decision.not_started"
        case .unknown: return "coordinator.decision.unknown"
        }
    }
}

extension TechnicianViewModel.Commissioning {
    /// `.commissioned` takes the lock id; `.refused` the lock's status.
    public var l10nKey: String {
        switch self {
        case .pressSetupButton: return "orders.commissioning.press_setup_button"
        case .factoryResetNeeded: return "orders.commissioning.factory_reset"
        case .commissioned: return "orders.commissioning.done"
        case .refused: return "orders.commissioning.refused"
        }
    }
}

extension TechnicianViewModel.Completion {
    public var l10nKey: String {
        switch self {
        case .inService: return "orders.completion.in_service"
        case .removed: return "orders.completion.removed"
        }
    }
}

extension ConfirmReason {
    /// Takes the brukare's name.
    public var l10nKey: String {
        switch self {
        case .openDoor: return "confirm.open_door"
        }
    }
}

/// The key of an installation order's kind ("new_brukare", "removal", ...).
public func orderKindKey(_ kind: String) -> String {
    switch kind {
    case "new_brukare", "existing_brukare", "entrance", "removal": return "order.kind." + kind
    default: return "order.kind.other"
    }
}

/// The key of a failure as the core stores it in reports and cases
/// ("jammed", "refused:expired", ...).
public func causeKey(_ cause: String) -> String {
    let known = [
        "lock_not_found", "link_lost", "jammed", "no_key", "key_expired", "key_not_yet_valid",
        "decision_ended", "battery_low", "app_failure", "manual",
    ]
    if known.contains(cause) { return "failure." + cause }
    if cause.hasPrefix("refused") { return "failure.refused" }
    return "failure.other"
}

public enum LocalizationKeys {
    /// Every key the mappings above give, each case at least once.
    public static var all: Set<String> {
        let receipt = ReceiptView(
            requestId: "", lockId: "", visitId: nil, status: "", counter: 0, lockTime: 0,
            batteryPercent: 0, repeated: false, recordedAt: 0)
        let steps: [UnlockStep] = [.searching, .connecting, .verifying, .retrying, .open]
        let banners: [VisitsBanner] = [.offline(keysValidUntil: 1), .offline(keysValidUntil: nil), .noValidKeys, .clockNotTrusted]
        let keys: [KeyStatus] = [
            .ready(validUntil: 0), .notYetValid(validFrom: 0), .expired(expiredAt: 0), .decisionEnded(endedAt: nil),
            .noKey(reason: nil),
        ]
        let phases: [DoorViewModel.Phase] = [.ready, .bluetoothOff, .confirming, .declined, .opening]
        let outcomes: [UnlockOutcome] = [
            .opened(receipt: receipt), .openedBatteryLow(receipt: receipt, batteryPercent: 0), .lockNotFound, .linkLost,
            .refused(code: "", receipt: receipt), .noKey(reason: nil), .keyNotYetValid(validFrom: 0),
            .keyExpired(expiredAt: nil), .decisionEnded(endedAt: nil), .jammed(receipt: receipt), .receiptInvalid,
        ]
        let failures: [FailureKind] = FailureKind.manualChoices + [.refused(code: ""), .keyNotYetValid(validFrom: 0)]
        let patrol: [NightPatrolState] = [.messaged(at: 0), .overdue(deadline: 0), .due(by: 0)]
        let decisions: [DecisionState] = [
            .valid(endsAt: nil), .valid(endsAt: 0), .endsToday(endsAt: nil), .endsToday(endsAt: 0),
            .ended(contactNeedsAssessor: true), .ended(contactNeedsAssessor: false), .notStarted, .unknown,
        ]
        var all = Set<String>()
        all.formUnion(steps.map(\.l10nKey))
        all.formUnion(Problem.everyCase.map(\.l10nKey))
        all.formUnion(banners.map(\.l10nKey))
        all.formUnion(keys.map(\.l10nKey))
        all.formUnion(phases.compactMap(\.l10nKey))
        all.formUnion(outcomes.map(\.l10nKey))
        all.formUnion(failures.map(\.l10nKey))
        all.formUnion(patrol.map(\.l10nKey))
        all.formUnion(decisions.map(\.l10nKey))
        all.insert(ConfirmReason.openDoor(brukareName: "").l10nKey)
        let commissioning: [TechnicianViewModel.Commissioning] = [
            .pressSetupButton, .commissioned(lockId: ""), .factoryResetNeeded, .refused(status: ""),
        ]
        all.formUnion(commissioning.map(\.l10nKey))
        all.formUnion([TechnicianViewModel.Completion.inService, .removed].map(\.l10nKey))
        all.formUnion(["new_brukare", "existing_brukare", "entrance", "removal", "?"].map(orderKindKey))
        all.formUnion(["jammed", "refused:x", "?"].map(causeKey))
        all.formUnion(HomeTab.allCases.map(\.l10nKey))
        return all
    }
}
