import SwiftUI
import NyckelfriCore
import NyckelfriViewModels

/// The alarm group's orders: installations, entrance locks, removals.
struct OrdersView: View {
    @State private var vm: TechnicianViewModel

    init(session: Session) {
        _vm = State(initialValue: TechnicianViewModel(session: session))
    }

    var body: some View {
        List {
            if let problem = vm.problem { ProblemText(problem: problem) }
            ForEach(vm.orders, id: \.id) { order in
                NavigationLink {
                    OrderView(vm: vm, order: order)
                        .onAppear { vm.reset() }
                } label: {
                    VStack(alignment: .leading, spacing: 4) {
                        Text(L(orderKindKey(order.kind))).font(.subheadline).foregroundStyle(.secondary)
                        Text(order.brukareDisplayName).font(.headline)
                        if let address = order.address { Text(address).font(.body) }
                        if let due = order.dueAt { Text(L("orders.due", dateTimeText(due))).font(.subheadline) }
                    }
                    .frame(minHeight: 44)
                    .accessibilityElement(children: .combine)
                }
            }
            if vm.orders.isEmpty && !vm.working {
                Text(L("orders.none")).foregroundStyle(.secondary)
            }
        }
        .navigationTitle(L("orders.title"))
        .refreshable { await vm.load() }
        .task { await vm.load() }
    }
}

/// One order, step by step: commission (R1.6), demonstrate (R1.9), the
/// brukare's signed receipt (R1.9), in service (R1.10) — or removal (R1.12).
private struct OrderView: View {
    @Bindable var vm: TechnicianViewModel
    let order: InstallationOrder
    @State private var lockId = ""
    @State private var lockKeyHex = ""
    @State private var pdfURL: URL?

    var body: some View {
        Form {
            Section {
                Text(order.brukareDisplayName).font(.title2.bold()).accessibilityAddTraits(.isHeader)
                if let address = order.address { Text(address) }
                if let name = order.contactName, let phone = order.contactPhone {
                    Text(L("orders.contact", name, phone))
                }
            }
            if let problem = vm.problem { Section { ProblemText(problem: problem) } }
            if order.kind == "removal" { removal } else { installation }
        }
        .navigationTitle(L(orderKindKey(order.kind)))
        .onAppear { lockId = order.lockId ?? "" }
    }

    @ViewBuilder private var removal: some View {
        Section(L("orders.remove")) {
            TextField(L("orders.lock_id"), text: $lockId)
            if order.contacts.isEmpty {
                TextField(L("orders.contacted"), text: $vm.contactParty)
            } else {
                Text(L("orders.contacted_done", order.contacts.map(\.party).joined(separator: ", ")))
            }
            actionButton(L("orders.remove")) { await vm.remove(order: order, lockId: lockId) }
            finishedText
        }
    }

    @ViewBuilder private var installation: some View {
        Section(L("orders.commission")) {
            Text(L("orders.commission_hint")).font(.subheadline)
            TextField(L("orders.lock_id"), text: $lockId)
                .textInputAutocapitalization(.never)
            TextField(L("orders.lock_key"), text: $lockKeyHex)
                .textInputAutocapitalization(.never)
                .font(.body.monospaced())
            actionButton(L("orders.commission")) { await vm.commission(orderId: order.id, lockId: lockId, lockKeyHex: lockKeyHex) }
            if let c = vm.commissioning { Text(commissioningText(c)) }
        }
        Section(L("orders.demonstrate")) {
            actionButton(L("orders.demonstrate")) { await vm.demonstrate(lockId: lockId) }
            ForEach(Array(vm.demonstration.enumerated()), id: \.offset) { _, step in
                VStack(alignment: .leading, spacing: 2) {
                    Text(step.title).font(.headline)
                    Text(step.text).font(.body)
                }
                .accessibilityElement(children: .combine)
            }
        }
        Section(L("orders.signature")) {
            SignatureCanvas(pad: $vm.signature)
            Button(L("signature.clear")) { vm.signature.clear() }
                .frame(minHeight: 44)
                .disabled(vm.receipt != nil)
            TextField(L("orders.witness"), text: $vm.witness)
            TextField(L("orders.witness_reason"), text: $vm.witnessReason)
            Button {
                vm.signReceipt(order: order, lockId: lockId)
                pdfURL = writePDF()
            } label: {
                Text(L("orders.sign")).frame(maxWidth: .infinity, minHeight: 44)
            }
            .buttonStyle(.borderedProminent)
            .disabled(!vm.canSign || lockId.isEmpty)
            if let pdfURL {
                ShareLink(item: pdfURL) {
                    Label(L("orders.share_receipt"), systemImage: "square.and.arrow.up")
                        .frame(minHeight: 44)
                }
            }
        }
        Section(L("orders.finish")) {
            actionButton(L("orders.finish")) { await vm.finish(order: order, lockId: lockId) }
                .disabled(vm.receipt == nil)
            finishedText
        }
    }

    @ViewBuilder private var finishedText: some View {
        if let done = vm.completion {
            Text(L(done.l10nKey))
        } else if let outcome = vm.finished {
            Text(L(outcome.l10nKey, outcomeArgument(outcome)))
        }
    }

    private func commissioningText(_ c: TechnicianViewModel.Commissioning) -> String {
        switch c {
        case .pressSetupButton, .factoryResetNeeded: return L(c.l10nKey)
        case .commissioned(let lockId): return L(c.l10nKey, lockId)
        case .refused(let status): return L(c.l10nKey, status)
        }
    }

    private func actionButton(_ title: String, _ action: @escaping () async -> Void) -> some View {
        Button {
            Task { await action() }
        } label: {
            HStack {
                Text(title)
                if vm.working { ProgressView() }
            }
            .frame(maxWidth: .infinity, minHeight: 44)
        }
        .disabled(vm.working || lockId.isEmpty)
    }

    private func writePDF() -> URL? {
        guard let data = vm.receiptPDF() else { return nil }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kvittens-\(order.brukareId).pdf")
        return (try? data.write(to: url)) == nil ? nil : url
    }
}

/// The one argument some outcomes' texts take.
func outcomeArgument(_ outcome: UnlockOutcome) -> String {
    switch outcome {
    case .openedBatteryLow(_, let percent): return String(percent)
    case .refused(let code, _): return code
    default: return ""
    }
}
