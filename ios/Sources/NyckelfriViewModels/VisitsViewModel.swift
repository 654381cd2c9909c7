import Foundation
import Observation
import NyckelfriCore

/// What the top of the visit list warns about, most urgent first.
public enum VisitsBanner: Equatable, Sendable {
    /// The last sync found no network: the keys on the phone still work
    /// until `keysValidUntil` (none: no key is valid now or later).
    case offline(keysValidUntil: Int64?)
    /// There are visits but no key valid now or later: sync.
    case noValidKeys
    /// The phone rebooted since the last sync: time is the phone's own
    /// clock until the next sync.
    case clockNotTrusted
}

/// Today's visits with the status of each key, and syncing.
@MainActor
@Observable
public final class VisitsViewModel {
    public private(set) var visits: [VisitView] = []
    public private(set) var keysValidUntil: Int64?
    public private(set) var time: TrustedTimeView?
    public private(set) var pendingEvents: UInt32 = 0
    /// Server time of the last successful sync in this run of the app.
    public private(set) var lastSyncAt: Int64?
    public private(set) var syncing = false
    public private(set) var problem: Problem?
    private var lastSyncOffline = false

    private let session: Session

    public init(session: Session) {
        self.session = session
    }

    public var banner: VisitsBanner? {
        if lastSyncOffline { return .offline(keysValidUntil: keysValidUntil) }
        if !visits.isEmpty && keysValidUntil == nil { return .noValidKeys }
        if time?.source == .phoneClock && !visits.isEmpty { return .clockNotTrusted }
        return nil
    }

    /// Re-reads what the phone holds (no network).
    public func refresh() {
        do {
            let app = session.app
            visits = try app.todayVisits()
            keysValidUntil = try app.keysValidUntil()
            time = try app.trustedTime()
            pendingEvents = try app.pendingEvents()
        } catch {
            problem = Problem(error)
        }
    }

    /// Sends what is pending and fetches the day's keys. Offline is not an
    /// error on this screen: the banner says until when the keys work.
    public func sync() async {
        guard !syncing else { return }
        syncing = true
        defer { syncing = false }
        do {
            let report = try await session.app.sync()
            lastSyncAt = report.serverTime
            lastSyncOffline = false
            problem = nil
        } catch {
            let p = Problem(error)
            lastSyncOffline = p == .offline
            problem = p == .offline ? nil : p
        }
        refresh()
    }
}

extension KeyStatus {
    /// Whether the door can be opened with this key now.
    public var isReady: Bool {
        if case .ready = self { return true }
        return false
    }
}
