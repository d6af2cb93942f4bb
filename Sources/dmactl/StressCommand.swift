import ArgumentParser
import DMABench
import DMAHost
import DriverHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DMACtl {
    /// `dmactl stress`: every opened device driven concurrently with random, verified
    /// operations while other threads churn domains and walk the registry.
    struct Stress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drive every device with random verified operations for a while, beside domain churn and registry walks.",
            discussion: """
                Every device of every loaded plugin is opened (--device restricts the set) and \
                driven by --jobs concurrent jobs for --seconds. Each job submits, one at a time, \
                operations of the kinds its device declares: push (system memory into the device's \
                domain), pull (the domain into system memory), memzero (fill capability) and \
                transfer (capability transfer; from the system domain, the same device or another \
                device; a pair refused with ENOTSUP is reported and not tried again). Sizes run \
                from 1 byte to --max-size, biased toward tiny sizes, page multiples plus or minus \
                one and odd sizes; each side is cut into 1 to --segments segments at random points, \
                and starts at a random, mostly unaligned, offset behind 64 guard bytes.

                Every buffer gets a random image (from --seed) of its whole allocation first. After \
                each completion the destination is read back whole and compared byte for byte: the \
                bytes described must hold the source's (zeroes for memzero), the guard bytes around \
                them and the source must not have changed. Buffers of a domain are written and read \
                as copy does: through its translation to system memory, else its push and pull.

                Meanwhile, other threads create domains of every type (with and without an id, with \
                callbacks), destroy them in random order, and walk the registry \
                (spdk_memory_domain_get_first/get_next, with and without an id filter, and \
                snapshots), checking that no domain they meet is torn and no live one is missed.

                Every operation is counted when submitted and must end exactly once: completed, \
                failed, or timed out after --timeout seconds (default 30). A completion called \
                twice, after an error or late is counted against its device. A line of progress \
                goes to stderr every second; at the end a table per device: verified operations by \
                kind (- for a kind the device does not declare), MB moved, operations per second, \
                errors, verify failures, timeouts, completion faults, and p50/p99 latency of the \
                operation itself in microseconds.

                Exit status: 0 every operation verified, no completion fault, no registry problem; \
                1 an operation failed, a byte was wrong, a device broke the completion contract, a \
                selected device did not open, or the registry stress found a problem; 2 usage; 3 no \
                such device; 6 an operation did not complete within --timeout (the devices are then \
                left open: their drivers may still hold the buffers).
                """
        )

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        @Option(help: ArgumentHelp("How long the jobs submit.", valueName: "seconds"))
        var seconds: Double = 10

        @Option(help: ArgumentHelp("Devices to drive (a selection; repeatable). Default: every device.", valueName: "selection"),
                completion: DeviceCompletion.ids(includingSystem: false))
        var device: [String] = []

        @Option(name: .customLong("max-size"), help: ArgumentHelp("Largest operation (default: 1MiB, at most 1GiB): \(ByteSize.grammarHelp).",
                                                                  valueName: "size"), transform: ByteSize.argument)
        var maxSize = ByteSize(bytes: 1 << 20)

        @Option(help: "Most scatter-gather segments per side of an operation (1...256).")
        var segments: Int = 8

        @Option(help: "Concurrent submitting jobs per device (1...64).")
        var jobs: Int = 2

        @Option(name: .customLong("churn-threads"), help: "Threads that create and destroy domains (0...16).")
        var churnThreads: Int = 1

        @Option(name: .customLong("walk-threads"), help: "Threads that walk the registry (0...16).")
        var walkThreads: Int = 1

        @Option(help: "Seed of the operations and images (default: random, printed).")
        var seed: UInt64?

        @Option(help: ArgumentHelp("Seconds each operation may take once its domain accepted it; past that, stress reports "
                                   + "the operation and exits 6.", valueName: "seconds"))
        var timeout: Double = 30

        func validate() throws {
            guard seconds > 0, seconds <= 86_400 else { throw ValidationError("--seconds must be in (0, 86400], got \(seconds)") }
            guard (1...256).contains(segments) else { throw ValidationError("--segments must be 1...256, got \(segments)") }
            guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be 1...64, got \(jobs)") }
            guard (0...16).contains(churnThreads), (0...16).contains(walkThreads) else {
                throw ValidationError("--churn-threads and --walk-threads must be 0...16")
            }
            guard maxSize.bytes <= 1 << 30 else { throw ValidationError("--max-size must be at most 1G") }
            guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be in (0, 86400] seconds, got \(timeout)") }
        }

        func run() async throws {
            let options = self.options.merged(with: root.global)
            let session = try Session(options)
            let devices = try select(session.host)
            var targets: [StressTarget] = []
            var openFailures: [(id: String, reason: String)] = []
            for device in devices {
                do throws(Failure) {
                    targets.append(StressTarget(endpoint: try Endpoint.open(device, host: session.host), info: device.info))
                } catch {
                    openFailures.append((device.id, error.message))
                }
            }
            let settings = StressSettings(duration: .nanoseconds(Int64(seconds * 1e9)), maxSize: maxSize.bytes, maxSegments: segments,
                                          jobs: jobs, timeout: .nanoseconds(Int64(timeout * 1e9)),
                                          seed: seed ?? UInt64.random(in: 0...UInt64.max),
                                          churnThreads: churnThreads, walkThreads: walkThreads)
            if targets.isEmpty { printError("dmactl: no device opened: only the registry is stressed") }
            let result = await StressRun(targets: targets, settings: settings).run(openFailures: openFailures, progress: true)

            let timeouts = result.timeouts.isEmpty ? nil
                : Failure(.timedOut, result.timeouts.joined(separator: "; ") + " (repeat with --seed \(settings.seed))")
            let failure = timeouts ?? (result.failures.isEmpty ? nil
                : Failure(.failed, result.failures.joined(separator: "; ") + " (repeat with --seed \(settings.seed))"))
            if options.format == .json {
                JSONOutput.emit(StressReportJSON(result), command: "stress", failure: failure)
            } else {
                for line in StressReport.text(result) { print(line) }
            }
            if let timeouts {
                // The devices stay open: their drivers may still access the abandoned buffers.
                printError("dmactl: " + timeouts.message)
                terminate(timeouts.status.rawValue)
            }
            session.host.closeAll()
            if let failure { throw options.format == .json ? failure.alreadyReported : failure }
        }

        /// Every device, or those `--device` selects (each selection must match one at least).
        private func select(_ host: DriverHost) throws(Failure) -> [HostedDevice] {
            guard !device.isEmpty else { return host.devices }
            var chosen: [HostedDevice] = []
            for selection in device {
                do throws(DMAError) {
                    for found in try host.select(selection) where !chosen.contains(found) { chosen.append(found) }
                } catch {
                    throw .selection(error, selection, host: host)
                }
            }
            return chosen
        }
    }
}
