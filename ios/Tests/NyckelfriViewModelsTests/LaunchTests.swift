import Foundation
import XCTest
import NyckelfriCore
import NyckelfriTestSupport
@testable import NyckelfriViewModels

/// What the app shows when it starts: enrollment on a new phone, and after
/// that the role's screens — also after the app was closed and reopened
/// with no network, which is when a coordinator needs the outages most.
final class LaunchTests: XCTestCase {
    /// One phone: its database and its device key, kept across restarts.
    private struct Phone {
        let db = tempDir("nf-launch").appendingPathComponent("app.db")
        let keyDir = tempDir("nf-launch-key")

        /// The app started (again) on this phone's store.
        @MainActor
        func open(serverURL: String = "") throws -> LaunchViewModel {
            let app = try NyckelfriApp.openWithSimulatedLocks(
                config: config(db), signer: SwiftSigner(dir: keyDir), locks: SimulatedLockSet())
            let launch = LaunchViewModel(
                session: Session(app: app, platform: FakePlatform(), language: .swedish),
                serverURL: serverURL, deviceLabel: "Marias telefon")
            launch.start()
            return launch
        }
    }

    @MainActor
    func testACoordinatorEnrolledOnceStillSeesTheOutagesAfterARestartOffline() async throws {
        let server = try DemoServer()
        defer { server.stop() }
        let phone = Phone()
        var firstEnrollment: Enrollment?
        do {
            let launch = try phone.open(serverURL: server.url)
            XCTAssertNil(launch.home)
            guard case .enroll(let enroll) = launch.stage else { return XCTFail("a new phone: \(launch.stage)") }
            XCTAssertEqual(enroll.serverURL, server.url)
            enroll.code = try server.code("st-tumba-koord")
            await enroll.enroll()
            launch.enrolled()
            XCTAssertEqual(launch.home, .coordinator)
            XCTAssertEqual(launch.home?.tabs, [.outages, .messages])
            firstEnrollment = launch.enrollment
            XCTAssertEqual(firstEnrollment?.staffName, "Maria Åberg")
        }
        // The app is closed (the core released) and the network is gone.
        server.stop()

        let again = try phone.open()
        XCTAssertEqual(again.home, .coordinator, "\(again.stage)")
        XCTAssertEqual(again.home?.tabs, [.outages, .messages])
        XCTAssertEqual(again.enrollment, firstEnrollment)
        XCTAssertEqual(again.enrollment?.role, "coordinator")
        XCTAssertEqual(again.enrollment?.unitId, "tumba")
        // Offline indeed: the outages screen says so instead of asking to enroll.
        let outages = CoordinatorViewModel(session: again.session)
        await outages.load()
        XCTAssertEqual(outages.problem, .offline)
    }

    @MainActor
    func testAnEnrollmentWhoseFirstSyncNeverRanIsNotAskedForAgain() async throws {
        let server = try DemoServer()
        defer { server.stop() }
        let phone = Phone()
        do {
            // Enrolled, then the app closed before the enrollment screen
            // finished its first sync (no sync here at all).
            let launch = try phone.open(serverURL: server.url)
            guard case .enroll = launch.stage else { return XCTFail("\(launch.stage)") }
            _ = try await launch.session.app.enroll(
                serverUrl: server.url, code: server.code("st-larm-1"), label: "Eriks telefon")
        }
        server.stop()

        let again = try phone.open()
        XCTAssertEqual(again.home, .technician, "\(again.stage)")
        XCTAssertEqual(again.home?.tabs, [.orders, .messages])
        XCTAssertEqual(again.enrollment?.staffName, "Erik Malm")
    }

    @MainActor
    func testARefusedCodeKeepsTheEnrollmentScreenWithWhatWasTyped() async throws {
        let server = try DemoServer()
        defer { server.stop() }
        let launch = try Phone().open(serverURL: server.url)
        guard case .enroll(let enroll) = launch.stage else { return XCTFail("\(launch.stage)") }
        enroll.code = "FEL-KOD"
        await enroll.enroll()
        launch.enrolled()
        XCTAssertNil(launch.home)
        guard case .enroll(let same) = launch.stage else { return XCTFail("\(launch.stage)") }
        XCTAssertTrue(same === enroll, "the same screen, not a blank one")
        XCTAssertEqual(same.code, "FEL-KOD")
        XCTAssertEqual(same.phase, .failed(.codeNotAccepted))
    }
}
