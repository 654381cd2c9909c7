import NyckelfriCore

/// An UnlockListener the core calls from its own threads, turned into an
/// ordered stream the main actor reads: steps arrive in the order the core
/// reported them, and all of them before the call's result is shown.
final class StepStream: UnlockListener, @unchecked Sendable {
    let steps: AsyncStream<UnlockStep>
    private let continuation: AsyncStream<UnlockStep>.Continuation

    init() {
        (steps, continuation) = AsyncStream.makeStream(of: UnlockStep.self)
    }

    func onStep(step: UnlockStep) { continuation.yield(step) }

    func finish() { continuation.finish() }
}

/// Runs `call` with a listener whose steps go to `onStep` on the main
/// actor, and returns once every step has been delivered.
@MainActor
func withSteps<T>(
    _ onStep: @escaping @MainActor (UnlockStep) -> Void,
    _ call: (UnlockListener) async throws -> T
) async throws -> T {
    let stream = StepStream()
    let reader = Task { @MainActor in
        for await step in stream.steps { onStep(step) }
    }
    do {
        let result = try await call(stream)
        stream.finish()
        await reader.value
        return result
    } catch {
        stream.finish()
        await reader.value
        throw error
    }
}
