import SwiftUI
import NyckelfriCore
import NyckelfriViewModels

/// The role's inbox (e.g. the night patrol's broken-lock notices, R2.12).
struct MessagesView: View {
    @State private var vm: MessagesViewModel

    init(session: Session) {
        _vm = State(initialValue: MessagesViewModel(session: session))
    }

    var body: some View {
        List {
            if let problem = vm.problem { ProblemText(problem: problem) }
            ForEach(vm.messages, id: \.id) { m in
                NavigationLink {
                    MessageDetail(message: m)
                        .task { await vm.markRead(m) }
                } label: {
                    VStack(alignment: .leading, spacing: 4) {
                        Text(m.subject)
                            .font(m.read ? .body : .body.bold())
                        Text(dateTimeText(m.createdAt))
                            .font(.subheadline)
                            .foregroundStyle(.secondary)
                    }
                    .frame(minHeight: 44)
                }
                .accessibilityValue(m.read ? L("messages.read") : L("messages.unread"))
            }
            if vm.messages.isEmpty && !vm.loading {
                Text(L("messages.none")).foregroundStyle(.secondary)
            }
        }
        .navigationTitle(L("messages.title"))
        .refreshable { await vm.load() }
        .task { await vm.load() }
    }
}

private struct MessageDetail: View {
    let message: InboxMessage

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                Text(message.subject)
                    .font(.title2.bold())
                    .accessibilityAddTraits(.isHeader)
                Text(dateTimeText(message.createdAt)).font(.subheadline)
                if let step = message.routineStep {
                    Text(L("messages.routine_step", step)).font(.subheadline)
                }
                if let deadline = message.deadlineAt {
                    Text(L("messages.deadline", timeText(deadline))).font(.subheadline)
                }
                if let from = message.handleFrom {
                    Text(L("messages.handle_from", dateTimeText(from))).font(.subheadline)
                }
                Text(message.body).font(.body)
            }
            .frame(maxWidth: .infinity, alignment: .leading)
            .padding()
        }
        .navigationBarTitleDisplayMode(.inline)
    }
}
