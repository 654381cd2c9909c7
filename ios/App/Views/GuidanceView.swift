import SwiftUI
import NyckelfriCore
import NyckelfriViewModels

/// The outage routine as a checklist: each step with its routine id, calls
/// to the dialer, and the failed-lock report (R2.9).
struct GuidanceView: View {
    @State private var vm: GuidanceViewModel?

    init(make: () -> GuidanceViewModel?) {
        _vm = State(initialValue: make())
    }

    var body: some View {
        List {
            if let vm {
                if let problem = vm.problem { ProblemText(problem: problem) }
                ForEach(vm.items) { item in
                    StepRow(vm: vm, item: item)
                }
            }
        }
        .navigationTitle(L("guidance.title"))
    }
}

private struct StepRow: View {
    let vm: GuidanceViewModel
    let item: ChecklistItem

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Button {
                vm.setDone(item, !item.done)
            } label: {
                HStack(alignment: .firstTextBaseline) {
                    Image(systemName: item.done ? "checkmark.square.fill" : "square")
                    VStack(alignment: .leading, spacing: 2) {
                        if let id = item.step.routineId {
                            Text(id).font(.caption.monospaced()).foregroundStyle(.secondary)
                        }
                        Text(item.step.title).font(.headline)
                    }
                }
                .frame(maxWidth: .infinity, minHeight: 44, alignment: .leading)
            }
            .buttonStyle(.plain)
            .accessibilityLabel(item.step.title)
            .accessibilityValue(item.done ? L("guidance.done") : L("guidance.not_done"))
            .accessibilityHint(item.step.routineId.map { L("guidance.routine_step", $0) } ?? "")

            Text(item.step.text).font(.body)

            if let number = item.phoneNumber {
                Button {
                    vm.perform(item)
                } label: {
                    Label(L("guidance.call", number), systemImage: "phone.fill")
                        .frame(maxWidth: .infinity, minHeight: 44)
                }
                .buttonStyle(.borderedProminent)
            }
            if item.opensReport {
                NavigationLink {
                    ReportView(make: { vm.makeReport() })
                } label: {
                    Label(L("guidance.report"), systemImage: "square.and.pencil")
                        .frame(maxWidth: .infinity, minHeight: 44)
                }
                .buttonStyle(.bordered)
                .disabled(vm.reportId != nil)
            }
        }
        .padding(.vertical, 4)
    }
}
