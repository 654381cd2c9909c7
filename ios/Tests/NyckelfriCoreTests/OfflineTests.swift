import Foundation
import XCTest
@testable import NyckelfriCore
import NyckelfriTestSupport

/// What works on a phone with no network and no enrollment.
final class OfflineTests: XCTestCase {
    private var dir: URL!

    override func setUp() { dir = tempDir("nf-offline") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    private func app(_ signer: DeviceSigner? = nil) throws -> NyckelfriApp {
        try NyckelfriApp.openWithSimulatedLocks(
            config: config(dir.appendingPathComponent("app.db")),
            signer: signer ?? SwiftSigner(dir: dir), locks: SimulatedLockSet())
    }

    func testSoftwareKeyFileIsPrivateReloadsAsTheSameKeyAndSignsRS() throws {
        let path = dir.appendingPathComponent("device.key").path
        let a = try SoftwareSigner.openOrCreate(path: path)
        let perms = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        XCTAssertEqual(perms?.intValue, 0o600)
        let b = try SoftwareSigner.openOrCreate(path: path)
        let pub = try a.publicKey()
        XCTAssertEqual(pub.count, 65)
        XCTAssertEqual(pub.first, 0x04)
        XCTAssertEqual(pub, try b.publicKey())
        XCTAssertEqual(try b.sign(message: Data("hej".utf8)).count, 64)
        // It opens the app too.
        _ = try NyckelfriApp.openWithSimulatedLocks(
            config: config(dir.appendingPathComponent("sw.db")), signer: a, locks: SimulatedLockSet())
    }

    func testKeyFileOthersCanReadIsRefusedWithKeyFile() throws {
        let path = dir.appendingPathComponent("shared.key").path
        _ = try SoftwareSigner.openOrCreate(path: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let e = assertThrowsSync({ try SoftwareSigner.openOrCreate(path: path) }) {
            if case .KeyFile = $0 { return true } else { return false }
        }
        if case .KeyFile(let reason) = e { XCTAssertTrue(reason.contains("600"), reason) }
    }

    func testFreshAppIsEmptyOnThePhoneClockAndAsksToEnrollBeforeSync() async throws {
        let app = try app()
        let t = try app.trustedTime()
        XCTAssertEqual(t.source, .phoneClock)
        XCTAssertLessThan(abs(t.unix - nowUnix()), 60)
        XCTAssertEqual(try app.todayVisits(), [])
        XCTAssertEqual(try app.keyStatus(lockId: "l-unknown"), .noKey(reason: nil))
        XCTAssertNil(try app.keysValidUntil())
        XCTAssertEqual(try app.pendingEvents(), 0)
        XCTAssertEqual(try app.recentEvents(limit: 10), [])
        XCTAssertEqual(try app.recentReceipts(limit: 10), [])
        // Nothing interrupted: nothing pending (and nothing is ever resent without a tap).
        XCTAssertEqual(try app.pendingUnlocks(), [])
        await assertThrowsAsync({ try await app.sync() }) { $0 == .NotEnrolled }
        await assertThrowsAsync({ try await app.installationOrders() }) { $0 == .NotEnrolled }
        let nf = await assertThrowsAsync({ try await app.openDoor(visitId: "v-nope", listener: RecordingListener()) }) {
            if case .NotFound = $0 { return true } else { return false }
        }
        if case .NotFound(let what) = nf { XCTAssertTrue(what.contains("v-nope"), what) }
        assertThrowsSync({ try app.unitSettings(unitId: "tumba") }) {
            if case .NotFound = $0 { return true } else { return false }
        }
    }

    func testBadInputIsInvalidInput() async throws {
        let app = try app()
        let e = assertThrowsSync({ try app.applyBundleJson(json: "{not json") }) {
            if case .InvalidInput = $0 { return true } else { return false }
        }
        if case .InvalidInput(let reason) = e { XCTAssertTrue(reason.hasPrefix("bundle"), reason) }
        await assertThrowsAsync({ try await app.commissionLock(orderId: "ord-x", lockId: "l-new", lockKeyHex: "not hex") }) {
            if case .InvalidInput = $0 { return true } else { return false }
        }
        let locks = SimulatedLockSet()
        assertThrowsSync({ try locks.addLock(lockId: "l-1", pkcs8Hex: "zz", issuerPublicKeyHex: "04", unixTime: 0) }) {
            if case .InvalidInput = $0 { return true } else { return false }
        }
        assertThrowsSync({ try locks.setJammed(lockId: "l-none", jammed: true) }) {
            if case .NotFound = $0 { return true } else { return false }
        }
        XCTAssertEqual(locks.lockIds(), [])
        locks.setTime(unixTime: UInt64(nowUnix()))
    }

    func testGarbageDatabaseIsMovedAsideWithDatabaseCorruptAndOpeningAgainStartsFresh() throws {
        let db = dir.appendingPathComponent("broken.db")
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: db)
        let signer = try SwiftSigner(dir: dir)
        let e = assertThrowsSync({
            try NyckelfriApp.openWithSimulatedLocks(config: config(db), signer: signer, locks: SimulatedLockSet())
        }) { if case .DatabaseCorrupt = $0 { return true } else { return false } }
        if case .DatabaseCorrupt(let movedTo) = e {
            XCTAssertTrue(FileManager.default.fileExists(atPath: movedTo), movedTo)
        }
        let app = try NyckelfriApp.openWithSimulatedLocks(config: config(db), signer: signer, locks: SimulatedLockSet())
        XCTAssertEqual(try app.pendingEvents(), 0)
    }

    func testBrukaresSignedReceiptVerifiesIsTamperEvidentAndRendersAsPDF() throws {
        let signer = try SwiftSigner(dir: dir)
        let app = try app(signer)
        let stroke = SignatureStroke(points: [StrokePoint(x: 0.1, y: 0.5), StrokePoint(x: 0.5, y: 0.4), StrokePoint(x: 0.9, y: 0.6)])
        let before = signer.signCalls
        let r = try app.signInstallationReceipt(
            lockId: "l-1", brukareId: "b-1", brukareName: "Astrid B.", agreementVersion: 1,
            language: .swedish, consent: .signed(strokes: [stroke]))
        XCTAssertGreaterThan(signer.signCalls, before, "signed through the Swift signer")
        XCTAssertTrue(app.verifyInstallationReceipt(receipt: r))
        var tampered = r
        tampered.contentJson = r.contentJson.replacingOccurrences(of: "Astrid", with: "Bertil")
        XCTAssertFalse(app.verifyInstallationReceipt(receipt: tampered))
        let pdf = try app.installationReceiptPdf(receipt: r, language: .english)
        XCTAssertEqual(String(decoding: pdf.prefix(4), as: UTF8.self), "%PDF")
        let w = try app.signInstallationReceipt(
            lockId: "l-1", brukareId: "b-1", brukareName: "Astrid B.", agreementVersion: 1,
            language: .english, consent: .confirmed(witnessedBy: "anhörig Eva S.", reason: "skadad hand"))
        XCTAssertNotEqual(r.receiptId, w.receiptId)
        assertThrowsSync({
            try app.signInstallationReceipt(
                lockId: "l-1", brukareId: "b-1", brukareName: "Astrid B.", agreementVersion: 99,
                language: .swedish, consent: .confirmed(witnessedBy: "x", reason: "y"))
        }) { if case .InvalidInput = $0 { return true } else { return false } }
    }

    func testFailedLockReportNeedsTheUnitsSettingsFromAFirstSync() throws {
        let app = try app()
        let e = assertThrowsSync({
            try app.reportFailedLock(report: FailedLockReport(lockId: "l-1", visitId: nil, failure: .jammed, stepsDone: []))
        }) { if case .NotFound = $0 { return true } else { return false } }
        if case .NotFound(let what) = e { XCTAssertTrue(what.contains("sync first"), what) }
        XCTAssertEqual(try app.outageReports(limit: 10), [])
    }
}
