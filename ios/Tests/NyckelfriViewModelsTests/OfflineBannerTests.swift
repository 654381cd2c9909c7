import Foundation
import XCTest
import NyckelfriCore
import NyckelfriTestSupport
@testable import NyckelfriViewModels

/// The server goes away after a sync: the visit list says the phone is
/// offline and until when its keys work, and the door still opens.
final class OfflineBannerTests: XCTestCase {
    @MainActor
    func testOfflineBannerTellsUntilWhenKeysWorkAndTheDoorStillOpens() async throws {
        let server = try DemoServer()
        let locks = try server.lockSet()
        let platform = FakePlatform()
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-off").appendingPathComponent("app.db")), signer: SwiftSigner(), locks: locks)
        let session = Session(app: app, platform: platform, language: .english)
        _ = try await app.enroll(serverUrl: server.url, code: server.code("st-tumba-cw1"), label: "Phone")
        let visits = VisitsViewModel(session: session)
        await visits.sync()
        XCTAssertNil(visits.banner)
        let until = try XCTUnwrap(visits.keysValidUntil)
        let visit = try XCTUnwrap(visits.visits.first { $0.keyStatus.isReady })

        server.stop()
        await visits.sync()
        XCTAssertEqual(visits.banner, .offline(keysValidUntil: until))
        XCTAssertEqual(visits.banner?.l10nKey, "visits.banner.offline_until")
        XCTAssertNil(visits.problem, "offline is the banner, not an error")
        XCTAssertFalse(visits.syncing)
        XCTAssertEqual(visits.visits.map(\.visitId).contains(visit.visitId), true)

        let door = DoorViewModel(session: session, visit: visit)
        await door.open()
        XCTAssertTrue(door.opened, "\(door.phase)")
        visits.refresh()
        XCTAssertGreaterThanOrEqual(visits.pendingEvents, 1)
        XCTAssertEqual(visits.banner, .offline(keysValidUntil: until), "still offline until a sync works")
    }

    @MainActor
    func testAPhoneNeverEnrolledHasNoVisitsNoBannerAndSyncSaysEnroll() async throws {
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-new").appendingPathComponent("app.db")), signer: SwiftSigner(),
            locks: SimulatedLockSet())
        let visits = VisitsViewModel(session: Session(app: app, platform: FakePlatform(), language: .swedish))
        visits.refresh()
        XCTAssertEqual(visits.visits, [])
        XCTAssertNil(visits.banner)
        await visits.sync()
        XCTAssertEqual(visits.problem, .notEnrolled)
        XCTAssertEqual(visits.problem?.l10nKey, "problem.not_enrolled")
    }
}
