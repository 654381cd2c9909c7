import Foundation
import XCTest
import NyckelfriCore
import NyckelfriTestSupport
@testable import NyckelfriViewModels

/// The alarm group's technician: orders from the server, and the brukare's
/// receipt signed on the screen (R1.9); the whole installation visit on a
/// factory-new simulated lock (R1.9, R1.10).
final class TechnicianTests: XCTestCase {
    @MainActor
    func testTheInstallationVisitCommissionsAfterTheSetupButtonDemonstratesSignsAndPutsInService_R1_9_R1_10()
        async throws
    {
        let server = try DemoServer()
        defer { server.stop() }
        let locks = SimulatedLockSet()
        // The lock as unpacked: no id, its key on the label.
        let label = try locks.addFactoryNewLock(unixTime: UInt64(nowUnix()))
        XCTAssertEqual(locks.lockIds(), [], "a factory-new lock has no id yet")
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-larm").appendingPathComponent("app.db")), signer: SwiftSigner(), locks: locks)
        _ = try await app.enroll(serverUrl: server.url, code: server.code("st-larm-1"), label: "Eriks telefon")
        // R1.3, R1.8: home care's order for a brukare without a lock (the demo has none).
        let created = try server.adminPost("/v1/orders/existing-brukare", json: """
            {"brukare_id": "b-tumba-14", "name": "Harry D.", "phone": "+46 8 123 45 67", "address": "Demogatan 29"}
            """)
        let orderId = try XCTUnwrap(matches(#""id"\s*:\s*"([^"]+)""#, in: created).first?[1], created)
        // R1.6: the alarm group books it for this technician: its keys are theirs alone.
        _ = try server.adminPost("/v1/orders/\(orderId)/scheduled", json: """
            {"scheduled_for": \(nowUnix()), "technician_id": "st-larm-1"}
            """)
        let vm = TechnicianViewModel(session: Session(app: app, platform: FakePlatform(), language: .swedish))
        await vm.load()
        let order = try XCTUnwrap(vm.orders.first { $0.id == orderId }, "\(vm.orders)")
        let lockId = "l-tumba-14"

        // Nobody inside has pressed the setup button: the technician is told to.
        await vm.commission(orderId: order.id, lockId: lockId, lockKeyHex: label)
        XCTAssertNil(vm.problem)
        XCTAssertEqual(vm.commissioned?.status, "presence_required")
        XCTAssertEqual(vm.commissioning, .pressSetupButton)
        XCTAssertEqual(vm.commissioning?.l10nKey, "orders.commissioning.press_setup_button")
        XCTAssertEqual(locks.lockIds(), [], "still nobody's lock")

        // Someone inside presses it (the label's key as typed, upper case): accepted.
        try locks.pressSetupButton(lockKeyHex: label.uppercased())
        await vm.commission(orderId: order.id, lockId: lockId, lockKeyHex: label)
        XCTAssertNil(vm.problem)
        XCTAssertEqual(vm.commissioning, .commissioned(lockId: lockId))
        XCTAssertEqual(locks.lockIds(), [lockId])

        // R1.9: the demonstration opens the real lock twice, then tells the rest.
        await vm.demonstrate(lockId: lockId)
        XCTAssertNil(vm.problem)
        XCTAssertGreaterThan(vm.demonstration.count, 2, "\(vm.demonstration)")
        for step in vm.demonstration.prefix(2) {
            guard case .opened? = step.outcome else { return XCTFail("\(step)") }
        }
        for step in vm.demonstration.dropFirst(2) {
            XCTAssertNil(step.outcome, step.title)
            XCTAssertFalse(step.text.isEmpty, step.title)
        }
        XCTAssertEqual(vm.steps.last, .open, "the lock's progress was shown")

        // R1.9: the brukare signs on the screen.
        XCTAssertFalse(vm.canSign)
        for x in stride(from: 20.0, through: 280.0, by: 20.0) {
            vm.signature.touch(x: x, y: 50 + (x.truncatingRemainder(dividingBy: 40)), width: 300, height: 100)
        }
        vm.signReceipt(order: order, lockId: lockId)
        XCTAssertNil(vm.problem)
        let receipt = try XCTUnwrap(vm.receipt)
        XCTAssertTrue(app.verifyInstallationReceipt(receipt: receipt))
        XCTAssertTrue(receipt.contentJson.contains(lockId))
        XCTAssertTrue(receipt.contentJson.contains("Harry D."))
        var forged = receipt
        forged.contentJson = receipt.contentJson.replacingOccurrences(of: "Harry D.", with: "Någon annan")
        XCTAssertFalse(app.verifyInstallationReceipt(receipt: forged), "the signature covers what was signed")
        let pdf = try XCTUnwrap(vm.receiptPDF())
        XCTAssertEqual(String(decoding: pdf.prefix(4), as: UTF8.self), "%PDF")

        // R1.10: in service; the order is done and "koordinatorn för
        // nattpatrullen" is told (not the night patrol's workers).
        await vm.finish(order: order, lockId: lockId)
        XCTAssertNil(vm.problem)
        guard case .opened? = vm.finished else { return XCTFail("\(String(describing: vm.finished))") }
        XCTAssertEqual(vm.completion, .inService)
        XCTAssertEqual(vm.completion?.l10nKey, "orders.completion.in_service")
        let stored = try server.adminGet("/v1/orders/\(orderId)")
        XCTAssertEqual(matches(#""status"\s*:\s*"([^"]+)""#, in: stored).first?[1], "installed", stored)
        await vm.load()
        XCTAssertFalse(vm.orders.contains { $0.id == orderId && $0.status == "open" }, "\(vm.orders)")

        let patrol = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-natt").appendingPathComponent("app.db")), signer: SwiftSigner(), locks: locks)
        _ = try await patrol.enroll(serverUrl: server.url, code: server.code("st-natt-koord"), label: "Nattens samordnare")
        let inbox = MessagesViewModel(session: Session(app: patrol, platform: FakePlatform(), language: .swedish))
        await inbox.load()
        XCTAssertNil(inbox.problem)
        let told = try XCTUnwrap(inbox.messages.first { $0.routineStep == "R1.10" }, "\(inbox.messages)")
        XCTAssertEqual(told.lockId, lockId)
        XCTAssertEqual(told.brukareId, "b-tumba-14")
    }

    @MainActor
    func testAnOrderLoadsAndTheBrukaresSignatureOnTheCanvasSignsTheReceipt_R1_8_R1_9() async throws {
        let server = try DemoServer()
        defer { server.stop() }
        let app = try NyckelfriApp.openWithSimulatedLocks(
            config: config(tempDir("nf-larm").appendingPathComponent("app.db")), signer: SwiftSigner(),
            locks: try server.lockSet())
        _ = try await app.enroll(serverUrl: server.url, code: server.code("st-larm-1"), label: "Eriks telefon")
        // R1.3, R1.8: home care orders a lock for an existing brukare (the demo has no orders).
        _ = try server.adminPost("/v1/orders/existing-brukare", json: """
            {"brukare_id": "b-tumba-14", "name": "Harry D.", "phone": "+46 8 123 45 67", "address": "Demogatan 29"}
            """)
        let vm = TechnicianViewModel(session: Session(app: app, platform: FakePlatform(), language: .swedish))
        await vm.load()
        XCTAssertNil(vm.problem)
        XCTAssertFalse(vm.working)
        let order = try XCTUnwrap(vm.orders.first { $0.brukareId == "b-tumba-14" }, "\(vm.orders)")
        XCTAssertEqual(orderKindKey(order.kind), "order.kind.existing_brukare")
        XCTAssertEqual(order.contactPhone, "+46 8 123 45 67")
        XCTAssertEqual(order.address, "Demogatan 29")

        XCTAssertFalse(vm.canSign, "nothing drawn, no witness")
        // A signature drawn in a 300 × 100 pt box, one stroke going off its edge.
        vm.signature.touch(x: 30, y: 50, width: 300, height: 100)
        vm.signature.touch(x: 150, y: 20, width: 300, height: 100)
        vm.signature.touch(x: 330, y: 120, width: 300, height: 100)
        XCTAssertTrue(vm.canSign, "a stroke being drawn counts")
        vm.signReceipt(order: order, lockId: "l-ny-01")
        XCTAssertNil(vm.problem)
        let receipt = try XCTUnwrap(vm.receipt)
        XCTAssertTrue(app.verifyInstallationReceipt(receipt: receipt))
        XCTAssertTrue(receipt.contentJson.contains(order.brukareId))
        XCTAssertTrue(receipt.contentJson.contains("[0.1,0.5]"), receipt.contentJson)
        XCTAssertTrue(receipt.contentJson.contains("[1.0,1.0]") || receipt.contentJson.contains("[1,1]"),
                      "clamped to the box: \(receipt.contentJson)")
        XCTAssertFalse(vm.canSign, "one receipt per installation")
        let pdf = try XCTUnwrap(vm.receiptPDF())
        XCTAssertEqual(String(decoding: pdf.prefix(4), as: UTF8.self), "%PDF")

        // R1.9: a brukare who cannot sign: a second person confirms, with the reason.
        vm.reset()
        XCTAssertNil(vm.receipt)
        vm.witness = "anhörig Eva S."
        XCTAssertFalse(vm.canSign, "the reason is required too")
        vm.witnessReason = "skadad hand"
        XCTAssertTrue(vm.canSign)
        vm.signReceipt(order: order, lockId: "l-ny-01")
        XCTAssertTrue(try XCTUnwrap(vm.receipt).contentJson.contains("anhörig Eva S."))

        // A key that is not hex is the technician's typing, not a crash.
        await vm.commission(orderId: "ord-x", lockId: "l-ny-02", lockKeyHex: "not hex")
        XCTAssertEqual(vm.problem, .invalidInput)
        XCTAssertNil(vm.commissioned)
    }
}
