import SwiftUI
import NyckelfriCore
import NyckelfriViewModels

/// The coordinator's open outages: the care decision (R2.7), the night
/// patrol's 17:00 deadline (R2.12), and the routine's actions (R2.10–R2.12).
struct CoordinatorView: View {
    @State private var vm: CoordinatorViewModel

    init(session: Session) {
        _vm = State(initialValue: CoordinatorViewModel(session: session))
    }

    var body: some View {
        List {
            if let problem = vm.problem { ProblemText(problem: problem) }
            if vm.overdueCount > 0 {
                Label(L("coordinator.overdue_count", String(vm.overdueCount)), systemImage: "clock.badge.exclamationmark")
                    .foregroundStyle(.red)
                    .font(.headline)
            }
            ForEach(vm.cases, id: \.id) { c in
                NavigationLink {
                    CaseView(vm: vm, caseId: c.id)
                } label: {
                    CaseSummary(c: c)
                }
            }
            if vm.cases.isEmpty && !vm.loading {
                Text(L("coordinator.none")).foregroundStyle(.secondary)
            }
        }
        .navigationTitle(L("coordinator.title"))
        .refreshable { await vm.load() }
        .task { await vm.load() }
    }
}

private struct CaseSummary: View {
    let c: OutageCase

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(c.brukareDisplayName ?? c.lockId ?? c.id).font(.headline)
            Text(L(causeKey(c.cause)) + " · " + dateTimeText(c.openedAt)).font(.subheadline)
            NightPatrolText(state: c.nightPatrol)
            DecisionText(state: c.decision)
        }
        .frame(minHeight: 44)
        .accessibilityElement(children: .combine)
    }
}

private struct CaseView: View {
    let vm: CoordinatorViewModel
    let caseId: String
    @State private var note = ""
    @State private var confirmWorking = false

    var body: some View {
        Form {
            if let c = vm.cases.first(where: { $0.id == caseId }) {
                Section {
                    CaseSummary(c: c)
                    if let lock = c.lockId { Text(L("report.lock", lock)) }
                    Text(L("coordinator.reports", String(c.reportCount)))
                }
                if let problem = vm.problem { Section { ProblemText(problem: problem) } }
                Section(L("coordinator.note")) {
                    TextField(L("coordinator.note"), text: $note, axis: .vertical)
                }
                Section {
                    action(L("coordinator.inform_alarm_group"), done: c.alarmGroupInformedAt) {
                        await vm.informAlarmGroup(c, note: noteOrNil)
                    }
                    action(L("coordinator.inform_night_patrol"), done: c.nightPatrolMessagedAt) {
                        await vm.informNightPatrol(c, note: noteOrNil)
                    }
                    Button(role: .destructive) {
                        confirmWorking = true
                    } label: {
                        Text(L("coordinator.lock_working")).frame(maxWidth: .infinity, minHeight: 44)
                    }
                    .disabled(vm.busyCaseId != nil)
                    .confirmationDialog(L("coordinator.lock_working_confirm"), isPresented: $confirmWorking) {
                        Button(L("coordinator.lock_working")) {
                            Task { await vm.markLockWorking(c, note: noteOrNil) }
                        }
                    }
                }
            } else {
                Text(L("coordinator.closed"))
            }
        }
        .navigationTitle(L("coordinator.case"))
    }

    private var noteOrNil: String? {
        let n = note.trimmingCharacters(in: .whitespacesAndNewlines)
        return n.isEmpty ? nil : n
    }

    /// A routine action; once done it shows when instead.
    @ViewBuilder
    private func action(_ title: String, done: Int64?, _ run: @escaping () async -> Void) -> some View {
        if let at = done {
            Label(L("coordinator.done_at", title, timeText(at)), systemImage: "checkmark.circle")
        } else {
            Button {
                Task { await run() }
            } label: {
                HStack {
                    Text(title)
                    if vm.busyCaseId == caseId { ProgressView() }
                }
                .frame(maxWidth: .infinity, minHeight: 44)
            }
            .buttonStyle(.borderedProminent)
            .disabled(vm.busyCaseId != nil)
        }
    }
}

// R2.12
private struct NightPatrolText: View {
    let state: NightPatrolState

    var body: some View {
        switch state {
        case .messaged(let at):
            Label(L(state.l10nKey, timeText(at)), systemImage: "moon.fill").font(.subheadline)
        case .overdue(let deadline):
            Label(L(state.l10nKey, timeText(deadline)), systemImage: "exclamationmark.triangle.fill")
                .font(.subheadline.bold())
                .foregroundStyle(.red)
        case .due(let deadline):
            Label(L(state.l10nKey, timeText(deadline)), systemImage: "moon").font(.subheadline)
        }
    }
}

// R2.7
private struct DecisionText: View {
    let state: DecisionState

    var body: some View {
        Text(text)
            .font(.subheadline)
            .foregroundStyle(warn ? Color.red : Color.secondary)
    }

    private var warn: Bool {
        if case .ended = state { return true }
        return false
    }

    private var text: String {
        switch state {
        case .valid(let end?), .endsToday(let end?): return L(state.l10nKey, dateTimeText(end))
        default: return L(state.l10nKey)
        }
    }
}
