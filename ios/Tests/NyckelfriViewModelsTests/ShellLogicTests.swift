import Foundation
import XCTest
import NyckelfriCore
import NyckelfriTestSupport
@testable import NyckelfriViewModels

/// The app's own small decisions, which need no Apple framework.
final class ShellLogicTests: XCTestCase {
    func testEachRoleLandsOnItsOwnScreen() {
        XCTAssertEqual(Home(role: "care_worker"), .visits)
        XCTAssertEqual(Home(role: "night_patrol"), .visits)
        XCTAssertEqual(Home(role: "coordinator"), .coordinator)
        XCTAssertEqual(Home(role: "unit_manager"), .coordinator)
        XCTAssertEqual(Home(role: "alarm_technician"), .technician)
        XCTAssertEqual(Home(role: "needs_assessor"), .messages)
        XCTAssertEqual(Home(role: "something_new"), .messages)
        XCTAssertEqual(Home.visits.tabs, [.visits, .reports, .messages])
        XCTAssertEqual(Home.messages.tabs, [.messages], "the inbox, even for a role the app does not know")
    }

    func testSwedishUnlessEnglishIsPreferred() {
        XCTAssertEqual(coreLanguage(preferredLanguages: []), .swedish)
        XCTAssertEqual(coreLanguage(preferredLanguages: ["sv-SE", "en-GB"]), .swedish)
        XCTAssertEqual(coreLanguage(preferredLanguages: ["en-US"]), .english)
        XCTAssertEqual(coreLanguage(preferredLanguages: ["fi-FI", "en"]), .swedish)
    }

    func testLaunchArgumentsChooseDemoModeAndItsFiles() {
        XCTAssertEqual(LaunchOptions(arguments: ["/app"]).demo, false)
        let o = LaunchOptions(arguments: ["/app", "-demo", "-server", "http://192.168.1.5:8080", "-NSDoubleLocalizedStrings", "YES"])
        XCTAssertTrue(o.demo)
        XCTAssertEqual(o.serverURL, "http://192.168.1.5:8080")
        XCTAssertNil(o.demoLocksPath)
        let l = LaunchOptions(arguments: ["/app", "-demo-locks", "/tmp/demo-locks.json"])
        XCTAssertTrue(l.demo, "locks imply the demo")
        XCTAssertEqual(l.demoLocksPath, "/tmp/demo-locks.json")
        XCTAssertNil(LaunchOptions(arguments: ["/app", "-server"]).serverURL)
        XCTAssertNil(LaunchOptions(arguments: ["/app", "-server", "-demo"]).serverURL)
    }

    func testSignaturePointsAreRelativeToTheBoxClampedAndStrokesEndOnLift() {
        var pad = SignaturePad()
        XCTAssertTrue(pad.isEmpty)
        pad.touch(x: 0, y: 0, width: 200, height: 100)
        pad.touch(x: 0, y: 0, width: 200, height: 100)
        pad.touch(x: 100, y: 50, width: 200, height: 100)
        pad.touch(x: -20, y: 400, width: 200, height: 100)
        XCTAssertEqual(pad.strokes, [], "still drawing")
        XCTAssertEqual(pad.allStrokes.first?.points,
                       [StrokePoint(x: 0, y: 0), StrokePoint(x: 0.5, y: 0.5), StrokePoint(x: 0, y: 1)])
        pad.lift()
        pad.lift()
        pad.touch(x: 200, y: 100, width: 200, height: 100)
        pad.lift()
        XCTAssertEqual(pad.strokes.count, 2)
        XCTAssertEqual(pad.strokes[1].points, [StrokePoint(x: 1, y: 1)])
        pad.touch(x: 5, y: 5, width: 0, height: 100)
        XCTAssertEqual(pad.allStrokes.count, 2, "a box with no size draws nothing")
        pad.clear()
        XCTAssertTrue(pad.isEmpty)
    }

    func testEveryCoreErrorBecomesSomethingTheUserCanAct() {
        XCTAssertEqual(Problem(NyckelfriError.Network(reason: "x")), .offline)
        XCTAssertEqual(Problem(NyckelfriError.NotEnrolled), .notEnrolled)
        func server(_ status: UInt16, _ code: String) -> Problem {
            Problem(NyckelfriError.Server(status: status, code: code, detail: ""))
        }
        XCTAssertEqual(server(403, "device_revoked"), .deviceRevoked)
        XCTAssertEqual(server(403, "forbidden"), .notAllowed)
        XCTAssertEqual(server(403, "no_key"), .noKey)
        XCTAssertEqual(server(200, "no_key"), .noKey, "the core's own: a fetched key not valid now")
        XCTAssertEqual(server(401, "unauthorized"), .codeNotAccepted)
        XCTAssertEqual(server(409, "conflict"), .conflict)
        XCTAssertEqual(server(404, "not_found"), .notFound)
        XCTAssertEqual(server(400, "bad_request"), .invalidInput)
        XCTAssertEqual(server(503, "busy"), .offline)
        XCTAssertEqual(server(200, "receipt_invalid"), .refused(code: "receipt_invalid"))
        XCTAssertEqual(Problem(NyckelfriError.NotFound(what: "visit")), .notFound)
        XCTAssertEqual(Problem(NyckelfriError.InvalidInput(reason: "")), .invalidInput)
        XCTAssertEqual(Problem(NyckelfriError.Storage(reason: "")), .storage)
        XCTAssertEqual(Problem(NyckelfriError.Internal(reason: "")), .unexpected)
        XCTAssertEqual(Problem(NyckelfriError.Signer(reason: "")), .keystore)
        XCTAssertEqual(Problem(NyckelfriError.KeyFile(reason: "")), .keystore)
        XCTAssertEqual(Problem(NyckelfriError.DatabaseCorrupt(movedTo: "/x")), .databaseMovedAside)
        XCTAssertEqual(Problem(NyckelfriError.DatabaseTooNew(found: 9, supported: 3)), .updateApp)
        XCTAssertEqual(Problem(CocoaError(.fileNoSuchFile)), .unexpected)
    }

    func testDecisionAndNightPatrolStatesFromTheServersCase_R2_7_R2_12() {
        let c = OutageCase(
            id: "o-1", unitId: "tumba", status: "open", lockId: "l-1", brukareDisplayName: "Astrid B.",
            cause: "jammed", openedAt: 1_000, weekendOrHoliday: false, night: false, decisionStatus: "ended",
            decisionEndsAt: 900, contactNeedsAssessor: true, alarmGroupInformedAt: nil,
            nightPatrolDeadlineAt: 5_000, nightPatrolMessagedAt: nil, nightPatrolOverdue: true, workingAt: nil,
            reportCount: 1)
        XCTAssertEqual(c.decision, .ended(contactNeedsAssessor: true))
        XCTAssertEqual(c.decision.l10nKey, "coordinator.decision.ended_contact_assessor")
        XCTAssertEqual(c.nightPatrol, .overdue(deadline: 5_000))
        var told = c
        told.nightPatrolMessagedAt = 4_000
        told.nightPatrolOverdue = false
        XCTAssertEqual(told.nightPatrol, .messaged(at: 4_000))
        var due = c
        due.nightPatrolOverdue = false
        XCTAssertEqual(due.nightPatrol, .due(by: 5_000))
        due.decisionStatus = "ends_today"
        XCTAssertEqual(due.decision, .endsToday(endsAt: 900))
        due.decisionStatus = "no_decision"
        XCTAssertEqual(due.decision, .unknown)
    }

    func testDemoLocksFromTheServersDemoDataOpenWithTheIssuersKey() async throws {
        let server = try DemoServer()
        defer { server.stop() }
        let json = try Data(contentsOf: server.dir.appendingPathComponent("demo-locks.json"))
        let locks = try DemoLocks.parse(locksJSON: json)
        XCTAssertEqual(locks.map(\.lockId).sorted(), server.locks.map(\.id).sorted())
        let issuer = try DemoLocks.issuerKey(issuerJSON: Data(try httpGet(port: server.port, path: "/v1/issuer").utf8))
        XCTAssertEqual(issuer, try server.issuerKeyHex())
        let set = SimulatedLockSet()
        try DemoLocks.install(locks, issuerKeyHex: issuer, into: set, now: nowUnix())
        XCTAssertEqual(set.lockIds().sorted(), server.locks.map(\.id).sorted())

        // Those locks open for an enrolled phone: the demo mode works end to end.
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-demo").appendingPathComponent("app.db")), signer: SwiftSigner(), locks: set)
        _ = try await app.enroll(serverUrl: server.url, code: server.code("st-tumba-cw1"), label: "Demo")
        _ = try await app.sync()
        let visit = try XCTUnwrap(try app.todayVisits().first { $0.keyStatus.isReady })
        let outcome = try await app.openDoor(visitId: visit.visitId, listener: RecordingListener())
        guard case .opened = outcome else { return XCTFail("\(outcome)") }
    }
}

final class PhoneNumberTests: XCTestCase {
    func testTheDialerGetsDigitsAndALeadingPlusOnly() {
        XCTAssertEqual(telURLString("+46 8-123 456 78"), "tel:+46812345678")
        XCTAssertEqual(telURLString(" 08-530 610 00 "), "tel:0853061000")
        XCTAssertNil(telURLString("ring växeln"))
        XCTAssertNil(telURLString(""))
    }

    func testCausesFromReportsAndCasesHaveWords() {
        XCTAssertEqual(causeKey("jammed"), "failure.jammed")
        XCTAssertEqual(causeKey("refused:expired"), "failure.refused")
        XCTAssertEqual(causeKey("manual"), "failure.manual")
        XCTAssertEqual(causeKey("no_response"), "failure.other")
        for f in FailureKind.manualChoices {
            XCTAssertEqual(causeKey(FailureKind.codeForTest(f)), f.l10nKey, "\(f)")
        }
    }
}

private extension FailureKind {
    /// The codes core/src/guidance/mod.rs gives (FailureKind::code).
    static func codeForTest(_ f: FailureKind) -> String {
        switch f {
        case .lockNotFound: return "lock_not_found"
        case .linkLost: return "link_lost"
        case .jammed: return "jammed"
        case .refused(let code): return "refused:\(code)"
        case .noKey: return "no_key"
        case .keyExpired: return "key_expired"
        case .keyNotYetValid: return "key_not_yet_valid"
        case .decisionEnded: return "decision_ended"
        case .batteryLow: return "battery_low"
        case .appFailure: return "app_failure"
        case .manualReport: return "manual"
        }
    }
}
