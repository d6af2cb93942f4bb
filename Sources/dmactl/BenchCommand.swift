import ArgumentParser
import DMABench
import DMAHost
import DriverHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension BenchOperation: ExpressibleByArgument {}

extension ResubmitMode: ExpressibleByArgument {}

extension DMACtl {
    /// `dmactl bench`: throughput and latency of one device through the memory-domain API,
    /// against raw memcpy/memset measured in the same run.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmark a device through the memory-domain API against raw memcpy/memset.",
            discussion: """
                copy (or write) pushes system memory into the device's domain \
                (spdk_memory_domain_push_data: RDMA WRITE on an RDMA device); read pulls buffers of the \
                domain into system memory (spdk_memory_domain_pull_data: RDMA READ); fill zeroes \
                buffers of the domain (spdk_memory_domain_memzero). --qd operations stay \
                in flight; each completion resubmits its slot with the next buffer, from the completion \
                callback itself (--resubmit callback, the default, as SPDK's bdevperf does) or from one \
                submitting thread that waits for completions (--resubmit thread). Buffers rotate \
                over a working set of at least 4x the last-level cache (read from sysfs) unless --hot \
                reuses one buffer per in-flight operation. The baseline is a memcpy (or memset) loop \
                over the same buffers and sizes on one thread, half before and half after the device \
                run; a device with several workers is also compared with the same loop on that many \
                threads (the machine's ceiling). Latency is submit → completion of a sample of the \
                operations. After the run, the driver's own diagnostics of the device are printed (for an \
                RDMA device: requests, completions, registration-cache regions, hits and misses). \
                GB/s are 10^9 bytes per second. A progress line goes to stderr when it \
                is a terminal.

                --workers and --completion configure the CPU backend (DMAHOST_CPU_WORKERS, \
                DMAHOST_CPU_COMPLETION) before it is loaded.

                Completions go through the host's completion tokens: a completion called twice, \
                after an error, or after the timeout is counted, reported, and fails the run (exit 1). \
                An operation that does not complete within --timeout seconds (default 30) abandons \
                the run: bench reports how many operations are outstanding (operation, size) and \
                exits 6 without closing the device.

                Sweeps: --sizes and --queue-depths take lists and ranges (64,4K..4M; a range LOW..HIGH \
                doubles from LOW up to HIGH) and run every size with every queue depth, printing one \
                table row per point (size, qd, GB/s, Mops/s, p50/p99 latency, baseline GB/s, ratio) as \
                soon as it ends; --output-format jsonl or csv prints records instead (JSON keys \
                snake_case with units, schema_version 1), and --jsonl FILE / --csv FILE write them too. \
                --seconds is the wall time of each point, everything included (5% warming the \
                baseline's buffers, 25% baseline in two halves around the device, 10% device warm-up, \
                50% measured device window, 10% multi-thread ceiling when the device has several \
                workers, else more baseline); the whole run takes points x --seconds, stated on stderr \
                before it starts, and the progress line counts the whole run. --mix P runs P% pulls \
                (reads) and the rest pushes (writes), evenly interleaved, as SPDK's test_dma -M; \
                --iovecs N splits each side of every operation into N entries.

                Exit status: 0 measured and verified; 1 an operation failed, the data differ, or the \
                device broke the completion contract; 2 usage; 3 no such device; 4 no driver loaded; \
                6 an operation did not complete within --timeout.
                """
        )

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        @Option(help: ArgumentHelp("The device: a selection of exactly one device, or a domain id as `list` prints it.",
                                   valueName: "selection"), completion: DeviceCompletion.ids(includingSystem: false))
        var device: String = "cpu:0"

        @Option(help: "copy or write (push into the device), read (pull from the device) or fill (memzero).")
        var op: BenchOperation = .copy

        @Option(help: ArgumentHelp("Bytes per operation, 64B...64MiB (default: 64KiB): \(ByteSize.grammarHelp).", valueName: "size"),
                transform: ByteSize.argument)
        var size: ByteSize?

        @Option(help: ArgumentHelp("Sizes to sweep: a list of sizes and ranges, e.g. 64,4K..4M (a range doubles from its low end).",
                                   valueName: "list"))
        var sizes: String?

        @Option(help: "Operations in flight (1...4096; default 32).")
        var qd: Int?

        @Option(name: .customLong("queue-depths"),
                help: ArgumentHelp("Queue depths to sweep: a list and ranges, e.g. 1,4,16 or 1..64.", valueName: "list"))
        var queueDepths: String?

        @Option(help: ArgumentHelp("Mixed workload: this percentage of the operations pull (read), the rest push (write).",
                                   valueName: "percent"))
        var mix: Int?

        @Option(help: "Entries each side of an operation is split into (1...256).")
        var iovecs: Int = 1

        @Option(name: .customLong("output-format"),
                help: ArgumentHelp("What goes to stdout for a sweep: table, jsonl or csv (--format json: jsonl).", valueName: "format"))
        var outputFormat: SweepOutputFormat = .table

        @Option(help: ArgumentHelp("Also write the records as JSON lines to this file.", valueName: "file"))
        var jsonl: String?

        @Option(help: ArgumentHelp("Also write the records as CSV to this file.", valueName: "file"))
        var csv: String?

        @Option(help: "CPU backend: worker threads per device (default: online CPUs).")
        var workers: Int?

        @Option(help: ArgumentHelp("CPU backend: where completions run, worker or poll.", valueName: "mode"))
        var completion: String?

        @Option(help: "Wall time of each point, baseline and warm-up included (a sweep takes points x seconds).")
        var seconds: Double = 3

        @Flag(help: "Reuse one buffer per in-flight operation (cache-hot) instead of a cold working set.")
        var hot = false

        @Option(help: ArgumentHelp("Who resubmits after a completion: callback (on the completing thread) or thread (one submitting thread).",
                                   valueName: "mode"))
        var resubmit: ResubmitMode = .callback

        @Option(help: ArgumentHelp("Seconds an operation may stay outstanding; past that, bench reports the outstanding "
                                   + "operations and exits 6.", valueName: "seconds"))
        var timeout: Double = BenchParameters.defaultTimeout

        var parameters: BenchParameters { parameters(size: (size ?? Self.defaultSize).bytes, queueDepth: qd ?? Self.defaultQueueDepth) }

        /// The parameters of one point.
        func parameters(size: Int, queueDepth: Int) -> BenchParameters {
            BenchParameters(operation: op, size: size, queueDepth: queueDepth, seconds: seconds, hot: hot, resubmit: resubmit,
                            timeout: timeout, readPercent: mix, iovecs: iovecs)
        }

        func validate() throws {
            do throws(DMAError) {
                try parameters.validate()
                for point in try sweepPlan().points { try parameters(size: point.size, queueDepth: point.queueDepth).validate() }
            } catch {
                throw ValidationError(error.message)
            }
            if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be 1...256, got \(workers)") }
            if let completion, completion != "worker" && completion != "poll" {
                throw ValidationError("--completion must be worker or poll, got '\(completion)'")
            }
        }

        func run() async throws {
            let options = self.options.merged(with: root.global)
            // The CPU backend reads its settings when it opens a device.
            if let workers { setenv("DMAHOST_CPU_WORKERS", String(workers), 1) }
            if let completion { setenv("DMAHOST_CPU_COMPLETION", completion, 1) }
            let session = try Session(options)
            defer { session.host.closeAll() }
            let endpoint = try Endpoint.resolve(device, host: session.host, for: "bench")
            guard !endpoint.isSystem else {
                throw Failure(.usage, "the system domain has no data operations; choose a device (e.g. cpu:0)")
            }
            let backend = endpoint.deviceID.flatMap { session.host.device(id: $0)?.driverName } ?? "unknown"
            if (workers != nil || completion != nil) && backend != "cpu" {
                throw Failure(.usage, "--workers and --completion configure the CPU backend; \(endpoint.name) is served by '\(backend)'")
            }
            let showProgress = isatty(STDERR_FILENO) == 1
            if isSweep {
                try runSweep(endpoint, backend: backend, session: session, showProgress: showProgress)
                return
            }
            let faultsBefore = CompletionFaults.counts(domain: endpoint.domain)
            let budget = Benchmark.budget(for: parameters, domain: endpoint.domain)
            if showProgress {
                printError("dmactl bench: \(endpoint.name) \(parameters.workloadDescription), \(Format.fixed(budget.total, 1)) s planned "
                           + "(\(budget.summary(baselineName: op.copiesData ? "memcpy" : "memset")))")
            }
            let label = "\(endpoint.name) \(parameters.workloadName) \(ByteSize(bytes: parameters.size)) qd \(parameters.queueDepth)"
            let report = try measure(endpoint, backend: backend, parameters: parameters,
                                     progress: showProgress ? { writeStandardError("\r\u{1B}[K[\(label)] \($0.line)") } : nil)
            if showProgress { writeStandardError("\r\u{1B}[K") }
            let faults = CompletionFaults.counts(domain: endpoint.domain).since(faultsBefore)

            // What the driver says about the device after the run (e.g. the RDMA backend's
            // request, completion and registration-cache counters: registrations, hits, misses).
            // Only the serving driver is asked (diagnosing every loaded driver can probe hardware).
            let driverLines = (session.host.drivers.first { $0.name == backend }?.diagnose() ?? [])
                .filter { $0.subject.hasPrefix((endpoint.deviceID ?? endpoint.name) + " ") }
            var failure: Failure?
            if !report.measurement.verified {
                failure = Failure(.failed, "the last operation's data do not match: \(endpoint.name) did not \(op.copiesData ? "copy" : "zero") correctly")
            } else if faults.total > 0 {
                failure = Failure(.failed, "\(endpoint.name) broke the completion contract (\(faults)); the numbers are not trustworthy "
                                  + "and its driver is faulty: report it to the driver's vendor")
            }
            let body = BenchReportJSON(report: report, domain: endpoint.domain.id, driverDiagnostics: driverLines.map(DiagnosticJSON.init),
                                       completionFaults: FaultCountsJSON(faults))
            try finish(body, command: "bench", format: options.format, failure: failure) {
                print(report.text)
                for line in driverLines { print("  driver:    \(line.subject): \(line.detail)") }
                print("  host:      completion faults: \(faults)")
            }
        }

        /// Runs one point; after a timeout, ends the process at once (status 6), leaving the
        /// device open: closing waits for, or races with, the operations its driver still holds.
        func measure(_ endpoint: Endpoint, backend: String, parameters: BenchParameters,
                     progress: ((BenchPointProgress) -> Void)?) throws(Failure) -> BenchReport {
            do throws(DMAError) {
                return try Benchmark.run(domain: endpoint.domain, backend: backend, device: endpoint.deviceID ?? endpoint.name,
                                         parameters: parameters, progress: progress)
            } catch {
                if progress != nil { writeStandardError("\r\u{1B}[K") }
                let failure = Failure(error, context: "bench \(endpoint.name)")
                guard failure.status == .timedOut else { throw failure }
                end(with: failure, command: "bench")
            }
        }
    }
}

/// Writes `text` to standard error without a newline.
func writeStandardError(_ text: String) {
    text.withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
}
