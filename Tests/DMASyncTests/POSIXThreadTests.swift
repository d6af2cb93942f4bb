import DMASync
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The name the calling thread has, as the kernel shows it (`/proc/thread-self/comm`).
private func currentThreadName() -> String {
    guard let file = fopen("/proc/thread-self/comm", "re") else { return "" }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
    return String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
}

@Suite("DMASync: POSIXThread")
struct POSIXThreadTests {
    @Test("runs the closure once, named before it runs; join waits for its end")
    func runsNamed() throws {
        let seen = Locked<[String]>([])
        let thread = try POSIXThread(name: "dma-test-w7") {
            usleep(20_000)
            seen.withLock { $0.append(currentThreadName()) }
        }
        #expect(thread.name == "dma-test-w7")
        thread.join()
        #expect(seen.withLock { $0 } == ["dma-test-w7"])
    }

    @Test("names longer than 15 bytes are cut, empty names keep the inherited one")
    func longAndEmptyNames() throws {
        let names = Locked<[String]>([])
        let long = try POSIXThread(name: "rdma-a-very-long-device-name") { names.withLock { $0.append(currentThreadName()) } }
        long.join()
        let parent = currentThreadName()
        let unnamed = try POSIXThread(name: "") { names.withLock { $0.append(currentThreadName()) } }
        unnamed.join()
        #expect(names.withLock { $0 } == ["rdma-a-very-lon", parent])
    }

    @Test("join and detach act once; isCurrent only on the thread")
    func joinDetachOnce() throws {
        let onThread = Atomic<Bool>(false)
        let holder = Locked<POSIXThread?>(nil)
        let gate = Atomic<Bool>(false)
        let thread = try POSIXThread(name: "dma-test-once") {
            while !gate.load(ordering: .acquiring) { sched_yield() }
            onThread.store(holder.withLock { $0?.isCurrent ?? false }, ordering: .releasing)
        }
        holder.withLock { $0 = thread }
        #expect(!thread.isCurrent)
        gate.store(true, ordering: .releasing)
        thread.join()
        thread.join()
        thread.detach()
        let wasCurrent = onThread.load(ordering: .acquiring)
        #expect(wasCurrent)
        holder.withLock { $0 = nil }

        let detached = try POSIXThread(name: "dma-test-det") {}
        detached.detach()
        detached.join() // returns at once: nothing to wait for
    }

    @Test("join from the thread itself detaches it instead of deadlocking")
    func joinFromItself() throws {
        let holder = Locked<POSIXThread?>(nil)
        let gate = Atomic<Bool>(false)
        let done = Atomic<Bool>(false)
        let thread = try POSIXThread(name: "dma-test-self") {
            while !gate.load(ordering: .acquiring) { sched_yield() }
            holder.withLock { $0 }?.join()
            done.store(true, ordering: .releasing)
        }
        holder.withLock { $0 = thread }
        gate.store(true, ordering: .releasing)
        while !done.load(ordering: .acquiring) { sched_yield() }
        thread.join() // detached already by the thread: returns at once
        holder.withLock { $0 = nil }
    }

    @Test("a thread dropped without join still runs to its end")
    func dropped() throws {
        let ran = Atomic<Bool>(false)
        do {
            _ = try POSIXThread(name: "dma-test-drop") { ran.store(true, ordering: .releasing) }
        }
        var waited = 0
        while !ran.load(ordering: .acquiring), waited < 5_000 {
            usleep(1000)
            waited += 1
        }
        let finished = ran.load(ordering: .acquiring)
        #expect(finished)
    }

    @Test("ThreadStartError names the thread, the errno and what to do")
    func startError() {
        let error = ThreadStartError(name: "dma-cpu-w3", errno: EAGAIN)
        #expect(error.description.hasPrefix("cannot start thread \"dma-cpu-w3\": pthread_create failed with errno \(EAGAIN) ("))
        #expect(error.description.contains("ulimit -u"))
        #expect(ThreadStartError(name: "x", errno: ENOSYS).advice == nil)
    }

    @Test("runOnThreads runs every index once, on threads named <name>-<index>")
    func runOnThreadsNames() {
        let seen = Locked<[Int: String]>([:])
        let allStarted = runOnThreads(4, name: "dma-test") { index in
            seen.withLock { $0[index] = currentThreadName() }
        }
        #expect(allStarted)
        #expect(seen.withLock { $0 } == [0: "dma-test-0", 1: "dma-test-1", 2: "dma-test-2", 3: "dma-test-3"])
        #expect(runOnThreads(0) { _ in Issue.record("no thread should run") })
    }
}
