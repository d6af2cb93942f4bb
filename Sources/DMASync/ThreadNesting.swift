import CDMASync

/// Adds `delta` to the calling thread's nesting counter (thread-local, starts at 0) and
/// returns the new value: how deep the thread is in callbacks that call back into themselves.
@inline(__always)
public func threadNestingAdd(_ delta: Int32) -> Int32 { dmasync_thread_nesting_add(delta) }
