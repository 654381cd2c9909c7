import SwiftUI
import NyckelfriViewModels

/// The server's address and the one-time code from the coordinator.
struct EnrollView: View {
    @Bindable var vm: EnrollViewModel
    let onEnrolled: () async -> Void

    var body: some View {
        Form {
            Section {
                Text(L("enroll.intro"))
                    .font(.body)
            }
            Section(L("enroll.server")) {
                TextField(L("enroll.server"), text: $vm.serverURL)
                    .textContentType(.URL)
                    .keyboardType(.URL)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
            }
            Section(L("enroll.code")) {
                TextField(L("enroll.code"), text: $vm.code)
                    .textInputAutocapitalization(.characters)
                    .autocorrectionDisabled()
                    .font(.title3.monospaced())
            }
            Section(L("enroll.device_label")) {
                TextField(L("enroll.device_label"), text: $vm.deviceLabel)
            }
            if case .failed(let problem) = vm.phase {
                Section { ProblemText(problem: problem) }
            }
            Section {
                Button {
                    Task {
                        await vm.enroll()
                        await onEnrolled()
                    }
                } label: {
                    HStack {
                        Text(L("enroll.action"))
                        if vm.phase == .enrolling { ProgressView() }
                    }
                    .frame(maxWidth: .infinity, minHeight: 44)
                }
                .disabled(!vm.canEnroll)
            }
        }
        .navigationTitle(L("enroll.title"))
    }
}
