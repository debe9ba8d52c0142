import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Parallel (the thread pool)")
struct ParallelTests {
    /// Runs `tasks` tasks that each write their own slot; returns the slots.
    private func run(tasks: Int, nested: Bool = false) -> [Int] {
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: tasks)
        defer { slots.deallocate() }
        slots.initialize(repeating: -1, count: tasks)
        Parallel.forEach(tasks: tasks) { task in
            var value = task * task
            if nested {
                // A nested region runs inline on the calling thread and must still do every task.
                let inner = UnsafeMutablePointer<Int>.allocate(capacity: 8)
                defer { inner.deallocate() }
                Parallel.forEach(tasks: 8) { inner[$0] = $0 }
                value += (0..<8).reduce(0) { $0 + inner[$1] } - 28
            }
            slots[task] = value
        }
        return Array(UnsafeBufferPointer(start: slots, count: tasks))
    }

    @Test("every task runs exactly once, for any count, nested regions included")
    func everyTaskOnce() {
        for tasks in [0, 1, 2, 3, 7, 64, 1000] {
            #expect(run(tasks: tasks) == (0..<tasks).map { $0 * $0 })
        }
        #expect(run(tasks: 37, nested: true) == (0..<37).map { $0 * $0 })
    }

    @Test("many threads calling at once all get complete, correct results")
    func concurrentCallers() async {
        let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for caller in 0..<8 {
                group.addTask {
                    (0..<200).allSatisfy { round in self.run(tasks: 3 + (caller + round) % 13) == (0..<(3 + (caller + round) % 13)).map { $0 * $0 } }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 })
    }
}
