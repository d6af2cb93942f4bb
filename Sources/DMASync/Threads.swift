/// Runs `body(index)` on `count` new threads at once (``POSIXThread``, named "<name>-<index>")
/// and waits for all of them. For benchmarks and tests that need real threads, not tasks of a
/// shared pool.
/// - Returns: False when a thread could not be created (the others still ran and were joined).
@discardableResult
public func runOnThreads(_ count: Int, name: String = "dmasync-run", _ body: @escaping @Sendable (Int) -> Void) -> Bool {
    let threads = (0..<max(count, 0)).compactMap { index in
        try? POSIXThread(name: "\(name)-\(index)") { body(index) }
    }
    for thread in threads { thread.join() }
    return threads.count == max(count, 0)
}
