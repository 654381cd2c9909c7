import Foundation
import Observation
import NyckelfriCore

/// The alarm group's technician: orders (R1.1–R1.11), commissioning a lock
/// and demonstrating it (R1.9), the brukare's signed receipt (R1.9), and
/// putting the lock in service, which tells home care and the night
/// patrol (R1.10).
@MainActor
@Observable
public final class TechnicianViewModel {
    /// Where commissioning stands, from the lock's answer.
    public enum Commissioning: Equatable, Sendable {
        /// R1.9: a new lock takes an owner only within minutes of its setup
        /// button being pressed inside the door (someone in the home agrees):
        /// press it, then commission again.
        case pressSetupButton
        case commissioned(lockId: String)
        /// Someone else's grant got there first: the lock's signed refusal
        /// names another issuer. Factory-reset it (long press inside the
        /// door), press the setup button, and commission again.
        case factoryResetNeeded
        /// The lock said no for another reason (its status, for the report).
        case refused(status: String)
    }

    /// How the visit ended on the server's side.
    public enum Completion: Equatable, Sendable {
        /// R1.10: in service; home care and the night patrol are told.
        case inService
        /// R1.12: removed; no key is issued for it again.
        case removed
    }

    /// Signed receipts use this version of the responsibility agreement.
    public static let agreementVersion: UInt32 = 1

    public private(set) var orders: [InstallationOrder] = []
    public private(set) var working = false
    public private(set) var problem: Problem?
    public private(set) var commissioned: CommissionedLock?
    public private(set) var demonstration: [DemonstrationStep] = []
    /// Lock movements during the demonstration or finishing.
    public private(set) var steps: [UnlockStep] = []
    public var signature = SignaturePad()
    /// R1.9: when the brukare cannot sign, the second person — not the
    /// technician — who confirms it (e.g. "anhörig Eva S.").
    public var witness = ""
    /// R1.9: and why the brukare could not sign.
    public var witnessReason = ""
    /// R1.12: whom the technician contacted before removing (e.g. "brukaren").
    public var contactParty = ""
    public private(set) var receipt: InstallationReceipt?
    /// The lock's movement when finishing or removing.
    public private(set) var finished: UnlockOutcome?
    public private(set) var completion: Completion?

    private let session: Session

    public init(session: Session) {
        self.session = session
    }

    public var commissioning: Commissioning? {
        guard let c = commissioned else { return nil }
        switch c.status {
        case "ok": return .commissioned(lockId: c.lockId)
        case "presence_required": return .pressSetupButton
        case "claimed_by_another_issuer": return .factoryResetNeeded
        default: return .refused(status: c.status)
        }
    }

    public var canSign: Bool {
        receipt == nil && (!signature.isEmpty
            || (!witness.trimmingCharacters(in: .whitespaces).isEmpty
                && !witnessReason.trimmingCharacters(in: .whitespaces).isEmpty))
    }

    public func load() async {
        await run { self.orders = try await self.session.app.installationOrders() }
    }

    // R1.6, R1.9: the lock's key from its label, as `lockId`, for the open
    // installation order `orderId` (the server grants only for one).
    public func commission(orderId: String, lockId: String, lockKeyHex: String) async {
        commissioned = nil
        await run {
            self.commissioned = try await self.session.app.commissionLock(
                orderId: orderId, lockId: lockId, lockKeyHex: lockKeyHex)
        }
    }

    // R1.9
    public func demonstrate(lockId: String) async {
        steps = []
        await run {
            let app = self.session.app
            let language = self.session.language
            self.demonstration = try await withSteps({ [weak self] in self?.steps.append($0) }) {
                try await app.demonstrate(lockId: lockId, language: language, listener: $0)
            }
        }
    }

    /// R1.9: the receipt and agreement, signed on the screen or, for a
    /// brukare who cannot sign, confirmed by a second person, with the reason.
    public func signReceipt(order: InstallationOrder, lockId: String) {
        guard canSign else { return }
        signature.lift()
        let consent: BrukareConsent = signature.isEmpty
            ? .confirmed(
                witnessedBy: witness.trimmingCharacters(in: .whitespaces),
                reason: witnessReason.trimmingCharacters(in: .whitespaces))
            : .signed(strokes: signature.strokes)
        do {
            receipt = try session.app.signInstallationReceipt(
                lockId: lockId, brukareId: order.brukareId, brukareName: order.brukareDisplayName,
                agreementVersion: Self.agreementVersion, language: session.language, consent: consent)
            problem = nil
        } catch {
            problem = Problem(error)
        }
    }

    /// The signed receipt as a PDF for the brukare to keep.
    public func receiptPDF() -> Data? {
        guard let receipt else { return nil }
        do {
            return try session.app.installationReceiptPdf(receipt: receipt, language: session.language)
        } catch {
            problem = Problem(error)
            return nil
        }
    }

    // R1.6, R1.10
    public func finish(order: InstallationOrder, lockId: String) async {
        steps = []
        completion = nil
        await run {
            let app = self.session.app
            self.finished = try await withSteps({ [weak self] in self?.steps.append($0) }) {
                try await app.finishInstallation(lockId: lockId, brukareId: order.brukareId, listener: $0)
            }
            // The core tells the server only once the lock did its part.
            if self.finished.map(Self.moved) == true { self.completion = .inService }
        }
    }

    // R1.12: "Larmgruppen tar kontakt med berörda parter och genomför
    // nedmonteringen": the contact is recorded first, then the lock is
    // decommissioned; its receipt is the proof.
    public func remove(order: InstallationOrder, lockId: String) async {
        steps = []
        completion = nil
        await run {
            let app = self.session.app
            let party = self.contactParty.trimmingCharacters(in: .whitespaces)
            if order.kind == "removal" && order.contacts.isEmpty && !party.isEmpty {
                _ = try await app.recordRemovalContact(orderId: order.id, party: party, note: nil)
            }
            self.finished = try await withSteps({ [weak self] in self?.steps.append($0) }) {
                try await app.removeLock(lockId: lockId, listener: $0)
            }
            if self.finished.map(Self.moved) == true { self.completion = .removed }
        }
    }

    /// Starts on a new order: forgets the last one's signature and results.
    public func reset() {
        commissioned = nil
        demonstration = []
        steps = []
        signature.clear()
        witness = ""
        witnessReason = ""
        contactParty = ""
        receipt = nil
        finished = nil
        completion = nil
        problem = nil
    }

    private static func moved(_ outcome: UnlockOutcome) -> Bool {
        switch outcome {
        case .opened, .openedBatteryLow: return true
        default: return false
        }
    }

    private func run(_ body: @MainActor () async throws -> Void) async {
        working = true
        defer { working = false }
        do {
            try await body()
            problem = nil
        } catch {
            problem = Problem(error)
        }
    }
}
