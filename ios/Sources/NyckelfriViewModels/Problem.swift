import NyckelfriCore

/// What went wrong, as the user is told it: one case per thing they can do
/// about it. The views localize `l10nKey` (see LocalizationKeys); every
/// text says what to do next.
public enum Problem: Equatable, Sendable {
    /// No network or server down: the keys on the phone still open doors
    /// offline; try again later.
    case offline
    /// The phone must be enrolled with a code from the coordinator.
    case notEnrolled
    /// The enrollment code or the phone's sign-in was not accepted (401):
    /// ask the coordinator for a new code.
    case codeNotAccepted
    /// The phone was blocked (lost, stolen, or the user left): its keys are
    /// gone; the coordinator enrolls it again.
    case deviceRevoked
    /// The server says the user's role may not do this (403).
    case notAllowed
    /// The server will not issue a key for this lock now (no visit, no
    /// decision): sync, then call the coordinator.
    case noKey
    /// Someone else did it or changed it first (409): refresh.
    case conflict
    /// The server said no for another reason; `code` is its reason, for
    /// the report.
    case refused(code: String)
    /// The visit, lock or case is gone (e.g. changed by another sync).
    case notFound
    /// What was typed is not acceptable.
    case invalidInput
    /// The phone's key could not be used (locked, removed).
    case keystore
    /// The phone's storage failed.
    case storage
    /// The database was damaged and moved aside: open the app again, sync.
    case databaseMovedAside
    /// The database is from a newer app: update the app.
    case updateApp
    /// A bug: report it.
    case unexpected

    /// Each case once, for the checks that every one has words.
    public static let everyCase: [Problem] = [
        .offline, .notEnrolled, .codeNotAccepted, .deviceRevoked, .notAllowed, .noKey, .conflict,
        .refused(code: ""), .notFound, .invalidInput, .keystore, .storage, .databaseMovedAside, .updateApp,
        .unexpected,
    ]

    public init(_ error: Error) {
        guard let e = error as? NyckelfriError else {
            self = .unexpected
            return
        }
        switch e {
        case .Network: self = .offline
        case .NotEnrolled: self = .notEnrolled
        case .Server(let status, let code, _): self = Problem(status: status, code: code)
        case .NotFound: self = .notFound
        case .InvalidInput: self = .invalidInput
        case .Signer, .KeyFile: self = .keystore
        case .Storage: self = .storage
        case .DatabaseCorrupt: self = .databaseMovedAside
        case .DatabaseTooNew: self = .updateApp
        case .Internal: self = .unexpected
        }
    }

    /// The server's stable codes first (the core also reports some with
    /// status 200, e.g. "no_key" when a fetched key is not valid yet), then
    /// the HTTP status.
    private init(status: UInt16, code: String) {
        switch (status, code) {
        case (_, "device_revoked"): self = .deviceRevoked
        case (_, "no_key"): self = .noKey
        case (_, "forbidden"), (403, _): self = .notAllowed
        case (_, "unauthorized"), (401, _): self = .codeNotAccepted
        case (_, "conflict"), (409, _): self = .conflict
        case (_, "not_found"), (404, _): self = .notFound
        case (_, "bad_request"), (400, _), (422, _): self = .invalidInput
        // Busy or failing after the core's retries: as good as offline.
        case (500..., _): self = .offline
        default: self = .refused(code: code)
        }
    }
}
