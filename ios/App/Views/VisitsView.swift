import SwiftUI
import NyckelfriCore
import NyckelfriViewModels

/// Today's visits with each key's status, the offline banner, sync.
struct VisitsView: View {
    let session: Session
    @State private var vm: VisitsViewModel

    init(session: Session) {
        self.session = session
        _vm = State(initialValue: VisitsViewModel(session: session))
    }

    var body: some View {
        List {
            if let banner = vm.banner {
                Section { BannerRow(banner: banner) }
            }
            if let problem = vm.problem {
                Section { ProblemText(problem: problem) }
            }
            Section {
                ForEach(vm.visits, id: \.visitId) { visit in
                    NavigationLink(value: visit.visitId) { VisitRow(visit: visit) }
                }
                if vm.visits.isEmpty {
                    Text(L("visits.none"))
                        .foregroundStyle(.secondary)
                }
            } header: {
                Text(L("visits.today"))
                    .accessibilityAddTraits(.isHeader)
            }
            Section { SyncStatus(vm: vm) }
        }
        .navigationTitle(L("visits.title"))
        .navigationDestination(for: String.self) { id in
            if let visit = vm.visits.first(where: { $0.visitId == id }) {
                DoorView(session: session, visit: visit)
            }
        }
        .refreshable { await vm.sync() }
        .task {
            vm.refresh()
            await vm.sync()
        }
    }
}

private struct VisitRow: View {
    let visit: VisitView

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(timeText(visit.startsAt) + "–" + timeText(visit.endsAt))
                .font(.subheadline)
                .foregroundStyle(.secondary)
            Text(visit.brukareName)
                .font(.headline)
            Text(visit.address)
                .font(.body)
            KeyStatusText(status: visit.keyStatus)
        }
        .padding(.vertical, 4)
        .frame(minHeight: 44)
        .accessibilityElement(children: .combine)
    }
}

struct KeyStatusText: View {
    let status: KeyStatus

    var body: some View {
        Label(text, systemImage: status.isReady ? "key.fill" : "key.slash")
            .font(.subheadline)
            .foregroundStyle(status.isReady ? Color.green : Color.orange)
    }

    private var text: String {
        switch status {
        case .ready(let until): return L(status.l10nKey, timeText(until))
        case .notYetValid(let from): return L(status.l10nKey, timeText(from))
        case .expired(let at): return L(status.l10nKey, timeText(at))
        case .decisionEnded, .noKey: return L(status.l10nKey)
        }
    }
}

private struct BannerRow: View {
    let banner: VisitsBanner

    var body: some View {
        Label(text, systemImage: "wifi.slash")
            .font(.body)
            .foregroundStyle(.orange)
            .accessibilityAddTraits(.isHeader)
    }

    private var text: String {
        if case .offline(let until?) = banner { return L(banner.l10nKey, timeText(until)) }
        return L(banner.l10nKey)
    }
}

private struct SyncStatus: View {
    let vm: VisitsViewModel

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            if let at = vm.lastSyncAt {
                Text(L("visits.last_sync", timeText(at)))
            }
            if vm.pendingEvents > 0 {
                Text(L("visits.pending_events", String(vm.pendingEvents)))
            }
            Button {
                Task { await vm.sync() }
            } label: {
                HStack {
                    Text(L("visits.sync"))
                    if vm.syncing { ProgressView() }
                }
                .frame(maxWidth: .infinity, minHeight: 44)
            }
            .disabled(vm.syncing)
        }
        .font(.subheadline)
    }
}
