import SwiftUI
import NyckelfriCore
import NyckelfriViewModels

/// One visit's door: a large Open button, the progress, the result, and
/// the way to the outage routine when it did not open.
struct DoorView: View {
    @State private var vm: DoorViewModel

    init(session: Session, visit: VisitView) {
        _vm = State(initialValue: DoorViewModel(session: session, visit: visit))
    }

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 20) {
                VStack(alignment: .leading, spacing: 4) {
                    Text(vm.visit.brukareName)
                        .font(.largeTitle.bold())
                        .accessibilityAddTraits(.isHeader)
                    Text(vm.visit.address)
                        .font(.title3)
                    KeyStatusText(status: vm.visit.keyStatus)
                }

                Button {
                    Task { await vm.open() }
                } label: {
                    Label(L("door.open"), systemImage: "lock.open.fill")
                        .font(.title.bold())
                        .frame(maxWidth: .infinity, minHeight: 88)
                }
                .buttonStyle(.borderedProminent)
                .disabled(vm.busy)
                .accessibilityLabel(L("door.open_accessibility", vm.visit.brukareName))

                phaseView
                if !vm.steps.isEmpty { StepsView(steps: vm.steps, done: !vm.busy) }
                if vm.needsGuidance {
                    NavigationLink {
                        GuidanceView(make: { vm.guidance() })
                    } label: {
                        Label(L("door.what_now"), systemImage: "list.number")
                            .font(.title3.bold())
                            .frame(maxWidth: .infinity, minHeight: 44)
                    }
                    .buttonStyle(.bordered)
                }
            }
            .padding()
        }
        .navigationTitle(L("door.title"))
        .navigationBarTitleDisplayMode(.inline)
    }

    @ViewBuilder private var phaseView: some View {
        switch vm.phase {
        case .finished(let outcome):
            OutcomeText(outcome: outcome, opened: vm.opened)
        case .failed(let problem):
            ProblemText(problem: problem)
        case .opening, .confirming:
            HStack {
                ProgressView()
                Text(vm.phase.l10nKey.map { L($0) } ?? L("door.phase.opening"))
            }
            .accessibilityElement(children: .combine)
        default:
            if let key = vm.phase.l10nKey { Text(L(key)).font(.body) }
        }
    }
}

private struct StepsView: View {
    let steps: [UnlockStep]
    let done: Bool

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            ForEach(Array(steps.enumerated()), id: \.offset) { i, step in
                let current = i == steps.count - 1 && !done
                Label(L(step.l10nKey), systemImage: current ? "circle.dotted" : "checkmark.circle")
                    .font(.body)
            }
        }
        .accessibilityElement(children: .combine)
    }
}

private struct OutcomeText: View {
    let outcome: UnlockOutcome
    let opened: Bool

    var body: some View {
        Label(text, systemImage: opened ? "checkmark.seal.fill" : "xmark.octagon.fill")
            .font(.title2.bold())
            .foregroundStyle(opened ? Color.green : Color.red)
            .accessibilityAddTraits(.isHeader)
    }

    private var text: String {
        switch outcome {
        case .openedBatteryLow(_, let percent): return L(outcome.l10nKey, String(percent))
        case .refused(let code, _): return L(outcome.l10nKey, code)
        default: return L(outcome.l10nKey)
        }
    }
}
