#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `body(index)` on `count` new POSIX threads at once and waits for all of them
/// (`pthread_create`, `pthread_join`). For benchmarks and tests that need real threads, not
/// tasks of a shared pool.
/// - Returns: False when a thread could not be created (the others still ran and were joined).
@discardableResult
public func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
    final class Start: Sendable {
        let body: @Sendable (Int) -> Void
        let index: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ index: Int) {
            self.body = body
            self.index = index
        }
    }
    var threads: [pthread_t] = []
    var allStarted = true
    for index in 0..<count {
        var thread = pthread_t()
        let start = Unmanaged.passRetained(Start(body, index))
        let rc = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
            start.body(start.index)
            return nil
        }, start.toOpaque())
        if rc != 0 {
            start.release()
            allStarted = false
            continue
        }
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
    return allStarted
}
