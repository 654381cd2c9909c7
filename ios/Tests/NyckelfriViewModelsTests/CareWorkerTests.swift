import Foundation
import XCTest
import NyckelfriCore
import NyckelfriTestSupport
@testable import NyckelfriViewModels

/// A care worker's day through the view models, against the real core, the
/// real server on loopback and simulated locks; only the phone's OS is fake.
final class CareWorkerTests: WithDemoServer {
    @MainActor
    private func enrolledSession(_ platform: FakePlatform, locks: SimulatedLockSet, staff: String = "st-tumba-cw1")
        async throws -> Session
    {
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-vm").appendingPathComponent("app.db")), signer: SwiftSigner(), locks: locks)
        let session = Session(app: app, platform: platform, language: .swedish)
        let enroll = EnrollViewModel(session: session, serverURL: server.url, deviceLabel: "Aminas telefon")
        XCTAssertFalse(enroll.canEnroll, "no code typed yet")
        enroll.code = "  " + (try server.code(staff)) + " "
        XCTAssertTrue(enroll.canEnroll)
        await enroll.enroll()
        guard case .enrolled(let e) = enroll.phase else {
            XCTFail("enroll: \(enroll.phase)")
            return session
        }
        XCTAssertEqual(e.role, "care_worker")
        XCTAssertEqual(enroll.home, .visits)
        return session
    }

    @MainActor
    func testABadCodeIsRefusedAndTheUserStaysOnTheEnrollScreen() async throws {
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-vm").appendingPathComponent("app.db")), signer: SwiftSigner(),
            locks: SimulatedLockSet())
        let enroll = EnrollViewModel(
            session: Session(app: app, platform: FakePlatform(), language: .swedish),
            serverURL: server.url, deviceLabel: "Testtelefon")
        enroll.code = "NOT-A-CODE"
        await enroll.enroll()
        // The next step is a new code from the coordinator.
        XCTAssertEqual(enroll.phase, .failed(.codeNotAccepted))
        XCTAssertNil(enroll.home)
        XCTAssertTrue(enroll.canEnroll, "can try again")
    }

    @MainActor
    func testSyncedVisitsShowAReadyKeyAndTheDoorOpensOnlyAfterTheUserConfirms() async throws {
        let locks = try server.lockSet()
        let platform = FakePlatform()
        let session = try await enrolledSession(platform, locks: locks)
        let app = session.app

        let visits = VisitsViewModel(session: session)
        await visits.sync()
        XCTAssertNil(visits.problem)
        XCTAssertNil(visits.banner, "synced, keys valid, trusted time")
        XCTAssertLessThan(abs((visits.lastSyncAt ?? 0) - nowUnix()), 60)
        XCTAssertEqual(visits.time?.source, .serverAnchored)
        XCTAssertFalse(visits.visits.isEmpty)
        let visit = try XCTUnwrap(visits.visits.first { $0.keyStatus.isReady }, "\(visits.visits)")
        XCTAssertGreaterThan(try XCTUnwrap(visits.keysValidUntil), nowUnix())
        XCTAssertEqual(visits.pendingEvents, 0)

        // Bluetooth off: nothing is asked or tried.
        platform.bluetoothReady = false
        let off = DoorViewModel(session: session, visit: visit)
        await off.open()
        XCTAssertEqual(off.phase, .bluetoothOff)
        XCTAssertEqual(platform.confirmations, [])
        platform.bluetoothReady = true

        // The user does not confirm: the core is never asked to open.
        let events = try app.recentEvents(limit: 100)
        let receipts = try app.recentReceipts(limit: 100)
        platform.userConfirms = false
        let declined = DoorViewModel(session: session, visit: visit)
        await declined.open()
        XCTAssertEqual(declined.phase, .declined)
        XCTAssertEqual(platform.confirmations, [.openDoor(brukareName: visit.brukareName)])
        XCTAssertEqual(declined.steps, [])
        XCTAssertEqual(try app.recentEvents(limit: 100), events)
        XCTAssertEqual(try app.recentReceipts(limit: 100), receipts)
        XCTAssertEqual(try app.pendingEvents(), 0)

        // The user confirms: the door opens, with the core's progress.
        platform.userConfirms = true
        let door = DoorViewModel(session: session, visit: visit)
        await door.open()
        XCTAssertTrue(door.opened, "\(door.phase)")
        XCTAssertEqual(platform.confirmations.count, 2)
        XCTAssertEqual(door.steps.first, .searching)
        XCTAssertEqual(door.steps.last, .open)
        XCTAssertTrue(door.steps.contains(.verifying), "\(door.steps)")
        XCTAssertFalse(door.needsGuidance)
        XCTAssertNil(door.guidance())
        if case .opened(let receipt)? = door.outcome {
            XCTAssertEqual(receipt.lockId, visit.lockId)
            XCTAssertEqual(receipt.visitId, visit.visitId)
        }
        visits.refresh()
        XCTAssertGreaterThanOrEqual(visits.pendingEvents, 1, "the opening waits for the next sync")
        await visits.sync()
        XCTAssertEqual(visits.pendingEvents, 0)
    }

    @MainActor
    func testJammedLockGivesCallToTheCoordinatorThroughTheDialerAndAReportListed_R2_6_R2_9() async throws {
        let locks = try server.lockSet()
        let platform = FakePlatform()
        let session = try await enrolledSession(platform, locks: locks, staff: "st-tumba-cw2")
        let app = session.app
        let visits = VisitsViewModel(session: session)
        await visits.sync()
        let visit = try XCTUnwrap(visits.visits.first { $0.keyStatus.isReady }, "\(visits.visits)")
        let settings = try app.unitSettings(unitId: visit.unitId)

        try locks.setJammed(lockId: visit.lockId, jammed: true)
        let door = DoorViewModel(session: session, visit: visit)
        await door.open()
        guard case .jammed? = door.outcome else { return XCTFail("phase \(door.phase)") }
        XCTAssertFalse(door.opened)
        XCTAssertTrue(door.needsGuidance)

        let guidance = try XCTUnwrap(door.guidance())
        XCTAssertNil(guidance.problem)
        XCTAssertEqual(guidance.failure, .jammed)
        let ids = guidance.items.compactMap(\.step.routineId)
        XCTAssertEqual(ids.first, "R2.6", "\(ids)")
        for id in ["R2.8", "R2.9", "R2.15"] { XCTAssertTrue(ids.contains(id), "\(id) in \(ids)") }
        XCTAssertTrue(ids.contains("R2.1") || ids.contains("R2.2"), "a spare key, by day or night: \(ids)")
        // R2.6 "Om brukare inte kan öppna själv …": asked first.
        XCTAssertEqual(guidance.items.first?.step.action, .askBrukareToOpen)
        // The coordinator next: office hours or not (the tests run at any hour).
        let callTitle = guidance.items[1].step.title
        XCTAssertTrue(callTitle == "Ring koordinatorn" || callTitle == "Koordinatorn (kontoret stängt)", callTitle)
        XCTAssertTrue(guidance.items.allSatisfy { !$0.done })

        // R2.6: the call step dials the coordinator and is done.
        let call = try XCTUnwrap(guidance.items.first { $0.phoneNumber != nil })
        XCTAssertEqual(call.phoneNumber, settings.coordinatorPhone)
        XCTAssertTrue(call.step.text.contains(settings.coordinatorPhone))
        guidance.perform(call)
        XCTAssertEqual(platform.dialed, [settings.coordinatorPhone])
        XCTAssertEqual(guidance.stepsDone, ["R2.6"])
        // Steps that are not calls do not dial.
        guidance.perform(try XCTUnwrap(guidance.items.first { $0.step.routineId == "R2.8" }))
        XCTAssertEqual(platform.dialed.count, 1)

        // R2.9: the report, filled in from the failure, lists the steps done.
        let report = guidance.makeReport()
        XCTAssertEqual(report.failure, .jammed)
        XCTAssertEqual(report.lockId, visit.lockId)
        XCTAssertEqual(report.stepsDone, ["R2.6"])
        XCTAssertTrue(report.canSubmit)
        report.submit()
        XCTAssertNil(report.problem)
        let id = try XCTUnwrap(report.submittedId)
        XCTAssertFalse(report.canSubmit, "one report per failure")
        let listed = try XCTUnwrap(report.reports.first)
        XCTAssertEqual(listed.reportId, id)
        XCTAssertEqual(listed.cause, "jammed")
        XCTAssertEqual(listed.lockId, visit.lockId)
        XCTAssertNotNil(listed.steps.first { $0.routineId == "R2.6" }?.doneAt)
        XCTAssertNotNil(listed.steps.first { $0.routineId == "R2.9" }?.doneAt)
        XCTAssertNil(listed.steps.first { $0.routineId == "R2.8" }?.doneAt)
        XCTAssertEqual(guidance.reportId, id)
        XCTAssertTrue(guidance.items.first(where: \.opensReport)?.done ?? false, "reporting is R2.9 done")

        // A step ticked after the report reaches it (R2.8: the spare key was used).
        guidance.setDone(try XCTUnwrap(guidance.items.first { $0.step.routineId == "R2.8" }), true)
        XCTAssertNil(guidance.problem)
        XCTAssertNotNil(try app.outageReports(limit: 5).first { $0.reportId == id }?
            .steps.first { $0.routineId == "R2.8" }?.doneAt)

        // The worker's own reports screen lists it too.
        XCTAssertEqual(ReportViewModel(session: session).reports.first?.reportId, id)
        try locks.setJammed(lockId: visit.lockId, jammed: false)
    }

    @MainActor
    func testAReportByHandNeedsALockOrAVisit_R2_9() async throws {
        let locks = try server.lockSet()
        let session = try await enrolledSession(FakePlatform(), locks: locks, staff: "st-tumba-cw3")
        _ = try await session.app.sync()
        let report = ReportViewModel(session: session)
        XCTAssertFalse(report.canSubmit)
        report.submit()
        XCTAssertNil(report.submittedId)
        report.lockId = server.locks[0].id
        report.failure = .lockNotFound
        report.submit()
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.reports.first?.reportId, try XCTUnwrap(report.submittedId))
        XCTAssertEqual(report.reports.first?.cause, "lock_not_found")
    }
}
