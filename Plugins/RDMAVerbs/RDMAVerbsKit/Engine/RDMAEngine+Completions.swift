import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The completion thread: waits for completion events, processes work completions, recovers
/// the queue pair after errors, posts waiting requests and delivers completions.
extension RDMAEngine {
    /// Completions taken from the queue per `ibv_poll_cq` call.
    static let pollBatch = 32

    /// Body of the completion thread; returns once the engine is closing and nothing is in
    /// flight or waiting for delivery.
    func completionLoop() {
        let completions = UnsafeMutableBufferPointer<ibv_wc>.allocate(capacity: Self.pollBatch)
        completions.initialize(repeating: ibv_wc())
        defer { completions.deallocate() }
        var unacknowledged: UInt32 = 0
        var closingSince: timespec?
        var flushed = false
        state.withLock { $0.completionThread = pthread_self() }
        while true {
            let closing = state.withLock { $0.closing }
            if closing, closingSince == nil { closingSince = Self.now() }
            // Before sleeping: make sure the last posted request will produce a completion.
            state.withLock { signalTail(&$0) }
            waitForEvents(timeoutMilliseconds: closing ? 50 : -1)
            while let _ = try? channel.nextEvent() { unacknowledged += 1 }
            if unacknowledged >= 64 {
                completionQueue.acknowledge(events: unacknowledged)
                unacknowledged = 0
            }
            drain(completions)
            // Arm, then drain again: a completion that arrived before arming raises no event.
            do throws(VerbsError) { try completionQueue.requestNotification() } catch {
                Self.log("re-arming the completion queue of \(profile.name) failed: \(error)")
            }
            drain(completions)
            recoverIfNeeded()
            deliverFinished()
            spin(completions)

            let (idle, outstanding) = state.withLock { ($0.closing && $0.outstanding == 0 && $0.queue.isEmpty && $0.finished.isEmpty, $0.outstanding) }
            if idle { break }
            if let since = closingSince, !flushed, outstanding > 0,
               Self.secondsSince(since) >= Double(configuration.closeGraceSeconds) {
                // Requests still in flight after the grace period: flush them (-ECANCELED).
                do throws(VerbsError) { try pair.flush() } catch { Self.log("flushing \(profile.name) at close failed: \(error)") }
                flushed = true
            }
        }
        completionQueue.acknowledge(events: unacknowledged)
    }

    /// While requests are in flight, keeps polling the completion queue (yielding the CPU
    /// between polls) for up to ``EngineConfiguration/spinMicroseconds`` after the last
    /// completion, instead of sleeping until the next event: under load this saves the event
    /// round trip (wake-up, `ibv_get_cq_event`, re-arm) per batch.
    private func spin(_ completions: UnsafeMutableBufferPointer<ibv_wc>) {
        let budget = Double(configuration.spinMicroseconds) / 1e6
        guard budget > 0 else { return }
        var last = Self.now()
        while state.withLock({ $0.outstanding > 0 && !$0.closing }) {
            if drain(completions) > 0 {
                recoverIfNeeded()
                deliverFinished()
                last = Self.now()
            } else if Self.secondsSince(last) > budget {
                return
            } else {
                sched_yield()
            }
        }
    }

    /// Sleeps in `poll(2)` until the completion channel or the wake-up pipe is readable.
    private func waitForEvents(timeoutMilliseconds: Int32) {
        var fds = [pollfd(fd: channel.fileDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeup.readEnd, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        if ready > 0, fds[1].revents != 0 { wakeup.drain() }
    }

    /// Takes every available work completion and applies it to its operation.
    /// - Returns: The number of completions taken.
    @discardableResult
    private func drain(_ completions: UnsafeMutableBufferPointer<ibv_wc>) -> Int {
        var total = 0
        while true {
            let count: Int
            do throws(VerbsError) {
                count = try completionQueue.poll(into: completions)
            } catch {
                Self.log("polling the completion queue of \(profile.name) failed: \(error)")
                return total
            }
            guard count > 0 else { return total }
            total += count
            state.withLock { state in
                state.counters.completionEntries += UInt64(count)
                for index in 0..<count { apply(completions[index], to: &state) }
                if state.phase == .ready { postQueued(&state, signalTail: true) }
            }
            if count < completions.count { return total }
        }
    }

    /// After an error, once nothing is in flight: reset and reconnect the queue pairs.
    private func recoverIfNeeded() {
        let recover = state.withLock { state -> Bool in
            guard state.phase == .draining, state.outstanding == 0 else { return false }
            state.phase = .recovering
            return true
        }
        guard recover else { return }
        let result: VerbsError?
        do throws(VerbsError) {
            try pair.connect()
            result = nil
        } catch {
            result = error
        }
        state.withLock { state in
            if let result {
                let reason = "could not reconnect the loopback queue pairs after an error (\(result)); close and reopen \(profile.name)"
                Self.log(reason)
                state.phase = .failed(reason)
                state.abandonQueue(status: -EIO)
            } else {
                state.phase = .ready
                state.unsignaledRun = 0
                state.counters.recoveries += 1
                if !state.closing { postQueued(&state, signalTail: true) }
            }
        }
    }

    /// Releases the registrations of finished operations and calls their completions, with
    /// no lock held.
    func deliverFinished() {
        while true {
            let finished = state.withLock { state -> [Operation] in
                let finished = state.finished
                state.finished.removeAll()
                return finished
            }
            guard !finished.isEmpty else { return }
            registrations.release(leasesOf: finished)
            state.withLock { $0.delivering = true }
            for operation in finished { operation.completion.deliver(operation.status) }
            // Post what the callbacks submitted, as one chain.
            state.withLock { state in
                state.delivering = false
                if state.phase == .ready, !state.closing { postQueued(&state, signalTail: true) }
            }
        }
    }

    static func log(_ message: String) {
        EngineLog.emit(message)
    }

    private static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time
    }

    private static func secondsSince(_ start: timespec) -> Double {
        let end = now()
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }
}
