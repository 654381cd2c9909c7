import SwiftUI
import NyckelfriCore
import NyckelfriViewModels

/// R2.9: documenting that a lock is out of order (works offline; sent on
/// the next sync).
struct ReportView: View {
    @State private var vm: ReportViewModel

    init(make: () -> ReportViewModel) {
        _vm = State(initialValue: make())
    }

    var body: some View {
        ReportForm(vm: vm)
            .navigationTitle(L("report.title"))
    }
}

/// The worker's own reports, and a report made by hand (a lock found broken).
struct ReportsView: View {
    @State private var vm: ReportViewModel

    init(session: Session) {
        _vm = State(initialValue: ReportViewModel(session: session))
    }

    var body: some View {
        ReportForm(vm: vm)
            .navigationTitle(L("reports.title"))
            .onAppear { vm.load() }
    }
}

private struct ReportForm: View {
    @Bindable var vm: ReportViewModel

    var body: some View {
        Form {
            Section(L("report.new")) {
                TextField(L("report.lock_id"), text: $vm.lockId)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                    .disabled(vm.submittedId != nil)
                Picker(L("report.failure"), selection: $vm.failure) {
                    ForEach(FailureKind.manualChoices, id: \.l10nKey) { f in
                        Text(L(f.l10nKey)).tag(f)
                    }
                }
                .disabled(vm.submittedId != nil)
                if !vm.stepsDone.isEmpty {
                    Text(L("report.steps_done", vm.stepsDone.joined(separator: ", ")))
                }
                Button {
                    vm.submit()
                } label: {
                    Text(vm.submittedId == nil ? L("report.submit") : L("report.submitted"))
                        .frame(maxWidth: .infinity, minHeight: 44)
                }
                .buttonStyle(.borderedProminent)
                .disabled(!vm.canSubmit)
                if let problem = vm.problem { ProblemText(problem: problem) }
            }
            Section {
                ForEach(vm.reports, id: \.reportId) { r in
                    VStack(alignment: .leading, spacing: 4) {
                        Text(L(causeKey(r.cause))).font(.headline)
                        Text(dateTimeText(r.occurredAt)).font(.subheadline)
                        if let lock = r.lockId { Text(L("report.lock", lock)).font(.subheadline) }
                        Text(L("report.steps", r.steps.filter { $0.doneAt != nil }.map(\.routineId).joined(separator: ", ")))
                            .font(.caption)
                    }
                    .accessibilityElement(children: .combine)
                }
            } header: {
                Text(L("reports.mine")).accessibilityAddTraits(.isHeader)
            }
        }
    }
}
