import Foundation
import XCTest
@testable import NyckelfriCore
import NyckelfriTestSupport

/// A care worker's day through Swift against the real server on loopback
/// (a child process, `--token-margin-minutes 1440` so the day's keys are
/// Ready at any hour). The phone and the simulated locks use the real clock.
final class VisitTests: WithDemoServer {
    func testServersDemoDataGivesLocksAndCodesForEveryRole() throws {
        XCTAssertGreaterThanOrEqual(server.locks.count, 20)
        XCTAssertTrue(server.locks.allSatisfy { $0.publicKey.count == 130 && $0.publicKey.hasPrefix("04") })
        for id in ["st-tumba-cw1", "st-tumba-cw2", "st-larm-1"] { XCTAssertNotNil(server.codes[id], id) }
        XCTAssertEqual(try server.issuerKeyHex().count, 130)
    }

    func testEnrollingFailsClearlyOnAClosedPortAndWithABadCode() async throws {
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-e").appendingPathComponent("a.db")), signer: SwiftSigner(), locks: SimulatedLockSet())
        let closed = "http://127.0.0.1:\(freePort())"
        let n = await assertThrowsAsync({ try await app.enroll(serverUrl: closed, code: "whatever", label: "Testtelefon") }) {
            if case .Network = $0 { return true } else { return false }
        }
        if case .Network(let reason) = n { XCTAssertFalse(reason.isEmpty) }
        let s = await assertThrowsAsync({ try await app.enroll(serverUrl: self.server.url, code: "NOT-A-CODE", label: "Testtelefon") }) {
            if case .Server = $0 { return true } else { return false }
        }
        if case .Server(let status, let code, _) = s { XCTAssertTrue((400...499).contains(status), "status \(status) \(code)") }
        await assertThrowsAsync({ try await app.sync() }) { $0 == .NotEnrolled }
    }

    func testCareWorkerSyncsOpensADoorWithASwiftSignerAndGetsR26GuidanceForAJammedLock() async throws {
        let locks = try server.lockSet()
        XCTAssertEqual(locks.lockIds().sorted(), server.locks.map(\.id).sorted())
        let signer = try SwiftSigner()
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-cw").appendingPathComponent("app.db")), signer: signer, locks: locks)
        let enrollment = try await app.enroll(serverUrl: server.url, code: server.code("st-tumba-cw1"), label: "Aminas telefon")
        XCTAssertFalse(enrollment.deviceId.isEmpty)

        _ = try await app.sync()
        let time = try app.trustedTime()
        XCTAssertEqual(time.source, .serverAnchored)
        XCTAssertLessThan(abs(time.unix - nowUnix()), 60)

        let visits = try app.todayVisits()
        XCTAssertFalse(visits.isEmpty, "cw1 has visits today")
        XCTAssertTrue(visits.allSatisfy { $0.unitId == "tumba" && $0.startsAt < $0.endsAt && !$0.brukareName.isEmpty })
        XCTAssertEqual(visits.map(\.startsAt), visits.map(\.startsAt).sorted())
        let ready = visits.filter { if case .ready = $0.keyStatus { return true } else { return false } }
        let visit = try XCTUnwrap(ready.first, "no Ready key: \(visits.map { ($0.visitId, $0.keyStatus) })")
        let until = try XCTUnwrap(try app.keysValidUntil())
        XCTAssertGreaterThan(until, time.unix)
        let settings = try app.unitSettings(unitId: "tumba")
        XCTAssertEqual(settings.timeZone, "Europe/Stockholm")
        XCTAssertTrue(settings.coordinatorPhone.hasPrefix("+46"))

        // Open the door (async, with a Swift listener and a Swift signer).
        let listener = RecordingListener()
        let signsBefore = signer.signCalls
        let outcome = try await app.openDoor(visitId: visit.visitId, listener: listener)
        guard case .opened(let receipt) = outcome else { return XCTFail("outcome: \(outcome)") }
        XCTAssertEqual(receipt.lockId, visit.lockId)
        XCTAssertEqual(receipt.visitId, visit.visitId)
        XCTAssertEqual(receipt.status, "ok")
        XCTAssertLessThan(abs(receipt.lockTime - nowUnix()), 120)
        XCTAssertGreaterThan(signer.signCalls, signsBefore, "the Swift signer signed the unlock")
        XCTAssertEqual(listener.steps.first, .searching)
        XCTAssertEqual(listener.steps.last, .open)
        XCTAssertTrue(listener.steps.contains(.verifying), "\(listener.steps)")
        XCTAssertEqual(try app.guidanceForOutcome(outcome: outcome, visitId: visit.visitId, language: .swedish), [])
        XCTAssertEqual(try app.recentReceipts(limit: 5).first, receipt)
        XCTAssertTrue(try app.recentEvents(limit: 5).contains { $0.kind.contains("unlock") && !$0.synced })
        XCTAssertGreaterThanOrEqual(try app.pendingEvents(), 1)

        // The bolt sticks.
        try locks.setJammed(lockId: visit.lockId, jammed: true)
        let jammed = try await app.openDoor(visitId: visit.visitId, listener: RecordingListener())
        guard case .jammed = jammed else { return XCTFail("outcome: \(jammed)") }
        let steps = try app.guidanceForOutcome(outcome: jammed, visitId: visit.visitId, language: .swedish)
        XCTAssertEqual(steps.first?.routineId, "R2.6")
        XCTAssertEqual(steps[1].routineId, "R2.6")
        XCTAssertTrue(steps[1].text.contains(settings.coordinatorPhone), steps[1].text)
        // R2.6 "Om brukare inte kan öppna själv …": asked first, then the coordinator.
        XCTAssertEqual(steps.first?.action, .askBrukareToOpen)
        XCTAssertEqual(steps[1].action, .callCoordinator(phone: settings.coordinatorPhone))
        XCTAssertTrue(steps.contains { $0.routineId == "R2.9" })
        let byHand = try app.guidanceForFailure(failure: .jammed, visitId: nil, lockId: visit.lockId, language: .english)
        XCTAssertEqual(byHand.first?.routineId, "R2.6")
        try locks.setJammed(lockId: visit.lockId, jammed: false)

        let reportId = try app.reportFailedLock(report: FailedLockReport(
            lockId: visit.lockId, visitId: visit.visitId, failure: .jammed, stepsDone: ["R2.6"]))
        try app.markStepDone(reportId: reportId, routineId: "R2.9")
        XCTAssertEqual(try app.outageReports(limit: 1).first?.reportId, reportId)

        // Everything reaches the server on the next sync.
        _ = try await app.sync()
        XCTAssertEqual(try app.pendingEvents(), 0)
        XCTAssertTrue(try app.recentEvents(limit: 20).allSatisfy(\.synced))
        // Nothing interrupted: nothing pending (and nothing is ever resent without a tap).
        XCTAssertEqual(try app.pendingUnlocks(), [])

        // Concurrent async calls.
        async let status = app.keyStatus(lockId: visit.lockId)
        async let report = app.sync()
        async let count = app.todayVisits().count
        let (s, _, c) = try await (status, report, count)
        XCTAssertEqual(c, visits.count)
        if case .noKey = s { XCTFail("key lost: \(s)") }
    }

    func testInstallationWorkIsForTheAlarmGroupNotACareWorker() async throws {
        let locks = try server.lockSet()
        let lockId = server.locks[0].id
        let cw = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-cw2").appendingPathComponent("app.db")),
            signer: SoftwareSigner.openOrCreate(path: tempDir("k").appendingPathComponent("k").path), locks: locks)
        _ = try await cw.enroll(serverUrl: server.url, code: server.code("st-tumba-cw2"), label: "Johans telefon")
        _ = try await cw.sync()
        await assertThrowsAsync({ try await cw.installationOrders() }) { _ in true }
        await assertThrowsAsync({ try await cw.commissionLock(orderId: "ord-x", lockId: "l-ny-01", lockKeyHex: self.server.locks[0].publicKey) }) { _ in true }
        await assertThrowsAsync({ try await cw.demonstrate(lockId: lockId, language: .swedish, listener: RecordingListener()) }) { _ in true }
        await assertThrowsAsync({ try await cw.finishInstallation(lockId: lockId, brukareId: "b-tumba-01", listener: RecordingListener()) }) { _ in true }
        await assertThrowsAsync({ try await cw.removeLock(lockId: lockId, listener: RecordingListener()) }) { _ in true }

        let larm = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-larm").appendingPathComponent("app.db")), signer: SwiftSigner(), locks: locks)
        _ = try await larm.enroll(serverUrl: server.url, code: server.code("st-larm-1"), label: "Eriks telefon")
        let orders = try await larm.installationOrders()
        XCTAssertTrue(orders.allSatisfy { !$0.id.isEmpty }, "\(orders)")
    }
}
