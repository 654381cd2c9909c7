import Foundation
import XCTest
import NyckelfriCore
import NyckelfriTestSupport
@testable import NyckelfriViewModels

/// The coordinator's side of an outage (R2.7, R2.10–R2.12) and the night
/// patrol's inbox, through the view models against the real server: a care
/// worker reports a jammed lock, the coordinator sees the case and acts.
final class CoordinatorTests: WithDemoServer {
    @MainActor
    private func session(_ staff: String, locks: SimulatedLockSet) async throws -> Session {
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-\(staff)").appendingPathComponent("app.db")), signer: SwiftSigner(), locks: locks)
        _ = try await app.enroll(serverUrl: server.url, code: server.code(staff), label: staff)
        return Session(app: app, platform: FakePlatform(), language: .swedish)
    }

    /// A care worker's report of a jammed lock, sent to the server (R2.9).
    @MainActor
    private func reportJammedLock(locks: SimulatedLockSet) async throws -> VisitView {
        let worker = try await session("st-tumba-cw1", locks: locks)
        _ = try await worker.app.sync()
        let visit = try XCTUnwrap(try worker.app.todayVisits().first { $0.keyStatus.isReady })
        let report = ReportViewModel(
            session: worker, lockId: visit.lockId, visitId: visit.visitId, failure: .jammed, stepsDone: ["R2.6"])
        report.submit()
        XCTAssertNotNil(report.submittedId)
        _ = try await worker.app.sync()
        XCTAssertEqual(try worker.app.pendingEvents(), 0)
        return visit
    }

    @MainActor
    func testOpenCaseShowsDecisionAndNightPatrolDeadlineThenTheActions_R2_7_R2_10_R2_11_R2_12() async throws {
        let locks = try server.lockSet()
        let visit = try await reportJammedLock(locks: locks)

        let coordinator = try await session("st-tumba-koord", locks: locks)
        let vm = CoordinatorViewModel(session: coordinator)
        await vm.load()
        XCTAssertNil(vm.problem)
        let c = try XCTUnwrap(vm.cases.first { $0.lockId == visit.lockId }, "\(vm.cases)")
        XCTAssertEqual(c.status, "open")
        XCTAssertEqual(c.cause, "jammed")
        XCTAssertEqual(c.brukareDisplayName, visit.brukareName)

        // R2.7: the visit had a key, so its decision is valid today.
        switch c.decision {
        case .valid, .endsToday: break
        default: XCTFail("decision \(c.decisionStatus) for a brukare with a key today")
        }
        XCTAssertFalse(c.contactNeedsAssessor)

        // R2.12: due by 17:00 local time on the day the case opened, or at
        // once for a case opened after it (CI runs at any hour); overdue
        // once past it, unless the night patrol was told already (a report
        // out of office hours tells them itself, R2.13).
        var stockholm = Calendar(identifier: .gregorian)
        stockholm.timeZone = TimeZone(identifier: "Europe/Stockholm")!
        let opened = Date(timeIntervalSince1970: TimeInterval(c.openedAt))
        let fivePm = Int64(stockholm.date(bySettingHour: 17, minute: 0, second: 0, of: opened)!.timeIntervalSince1970)
        XCTAssertEqual(c.nightPatrolDeadlineAt, max(fivePm, c.openedAt))
        let expected: NightPatrolState
        if let told = c.nightPatrolMessagedAt {
            expected = .messaged(at: told)
        } else {
            expected = nowUnix() > c.nightPatrolDeadlineAt
                ? .overdue(deadline: c.nightPatrolDeadlineAt) : .due(by: c.nightPatrolDeadlineAt)
        }
        XCTAssertEqual(c.nightPatrol, expected)
        XCTAssertEqual(vm.overdueCount, vm.cases.filter(\.nightPatrolOverdue).count)

        // R2.12: the night patrol is told; their inbox has it.
        await vm.informNightPatrol(c, note: "Nyckel i Orrens servicehus")
        XCTAssertNil(vm.problem)
        XCTAssertNil(vm.busyCaseId)
        let told = try XCTUnwrap(vm.cases.first { $0.id == c.id })
        guard case .messaged(let at) = told.nightPatrol else { return XCTFail("\(told.nightPatrol)") }
        XCTAssertLessThan(abs(at - nowUnix()), 120)
        XCTAssertFalse(told.nightPatrolOverdue)

        let patrol = try await session("st-natt-1", locks: locks)
        let inbox = MessagesViewModel(session: patrol)
        await inbox.load()
        XCTAssertNil(inbox.problem)
        // Out of office hours the worker's report also told them (R2.13): pick the coordinator's.
        let message = try XCTUnwrap(
            inbox.messages.first { $0.outageId == c.id && $0.routineStep == "R2.12" }, "\(inbox.messages)")
        XCTAssertFalse(message.read)
        let unread = inbox.unreadCount
        await inbox.markRead(message)
        XCTAssertNil(inbox.problem)
        XCTAssertEqual(inbox.messages.first { $0.id == message.id }?.read, true)
        XCTAssertEqual(inbox.unreadCount, unread - 1)
        await inbox.load()
        XCTAssertEqual(inbox.messages.first { $0.id == message.id }?.read, true, "read on the server")

        // R2.11: the alarm group is told.
        await vm.informAlarmGroup(told)
        XCTAssertNil(vm.problem)
        XCTAssertNotNil(vm.cases.first { $0.id == c.id }?.alarmGroupInformedAt)

        // R2.10: the lock works again; the case leaves the open list.
        await vm.markLockWorking(try XCTUnwrap(vm.cases.first { $0.id == c.id }), note: "Bytt batteri")
        XCTAssertNil(vm.problem)
        XCTAssertFalse(vm.cases.contains { $0.id == c.id })
        await vm.load()
        XCTAssertFalse(vm.cases.contains { $0.id == c.id }, "closed on the server")
    }

    @MainActor
    func testACareWorkerCannotSeeTheCoordinatorsCases() async throws {
        let worker = try await session("st-tumba-cw2", locks: try server.lockSet())
        let vm = CoordinatorViewModel(session: worker)
        await vm.load()
        XCTAssertEqual(vm.problem, .notAllowed, "the server's 403: not for a care worker's role")
        XCTAssertEqual(vm.problem?.l10nKey, "problem.not_allowed")
        XCTAssertEqual(vm.cases, [])
    }
}
