import ArgumentParser
import CDMAHostABI
import DMABench
import DMAHost
import DriverHost
import SeededRandom

extension DMACtl {
    /// `dmactl copy`: move a random pattern from one domain to another and verify it.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a random pattern between two memory domains and verify it byte for byte.",
            discussion: """
                system → X uses X's push; X → system uses X's pull; X → Y uses Y's transfer, or \
                X's pull then Y's push through a system bounce buffer when Y cannot transfer from X. \
                The source pattern is written into X directly when X translates its buffers to \
                system memory, else pushed. The destination is read the same way (translate, else pull).

                Each operation must complete within --timeout seconds once its domain accepted it \
                (default 30). When one does not, copy reports which operation (device, operation, size) \
                is outstanding and exits 6 without closing the device (its driver may still be using \
                the buffers). A device that calls a completion twice, after an error, or after the \
                timeout is counted; copy reports the counts and exits 1 even when the data verified.

                Exit status: 0 verified; 1 an operation failed, the data differ, or a device broke the \
                completion contract; 2 usage; 3 no such device; 6 an operation did not complete within --timeout.
                """
        )

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        @Option(help: ArgumentHelp("Source: 'system', a selection of exactly one device, or a domain id as `list` prints it.",
                                   valueName: "selection"), completion: DeviceCompletion.ids(includingSystem: true))
        var from: String

        @Option(help: ArgumentHelp("Destination: 'system', a selection of exactly one device, or a domain id as `list` prints it.",
                                   valueName: "selection"), completion: DeviceCompletion.ids(includingSystem: true))
        var to: String

        @Option(help: ArgumentHelp("Bytes to copy: \(ByteSize.grammarHelp).", valueName: "size"), transform: ByteSize.argument)
        var size: ByteSize

        @Option(help: "Scatter-gather segments per side (the two sides are cut differently).")
        var segments: Int = 4

        @Option(help: "Seed of the pattern and the segment layouts (default: random, printed).")
        var seed: UInt64?

        @Option(help: ArgumentHelp("Seconds each operation may take once its domain accepted it; past that, copy reports the "
                                   + "outstanding operation and exits 6.", valueName: "seconds"))
        var timeout: Double = 30

        func validate() throws {
            guard (1...4096).contains(segments) else { throw ValidationError("--segments must be 1...4096") }
            guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be in (0, 86400] seconds, got \(timeout)") }
            guard from != "system" || to != "system" else {
                throw ValidationError("--from and --to are both the system domain; choose a device for at least one side")
            }
        }

        func run() async throws {
            let options = self.options.merged(with: root.global)
            let session = try Session(options)
            defer { session.host.closeAll() }
            let source = try Endpoint.resolve(from, host: session.host, for: "copy")
            let destination = try Endpoint.resolve(to, host: session.host, for: "copy")
            let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
            var generator = SeededGenerator(seed: seed)
            let copier = DomainCopier(source: source, destination: destination, size: size.bytes, segments: segments,
                                      timeout: .nanoseconds(Int64(timeout * 1e9)))
            let faultsBefore = (CompletionFaults.counts(domain: source.domain), CompletionFaults.counts(domain: destination.domain))
            let report = try await runOrEnd(copier, using: &generator)
            let faults = [(source, CompletionFaults.counts(domain: source.domain).since(faultsBefore.0)),
                          (destination, CompletionFaults.counts(domain: destination.domain).since(faultsBefore.1))]
                .filter { !$0.0.isSystem && $0.1.total > 0 }

            var failure: Failure?
            if let mismatch = report.mismatch {
                failure = Failure(.failed, "data mismatch at byte \(mismatch.offset) (repeat with --seed \(seed))")
            } else if !faults.isEmpty {
                failure = Failure(.failed, faults.map { "\($0.0.name) broke the completion contract (\($0.1))" }.joined(separator: "; ")
                                  + "; its driver is faulty: report it to the driver's vendor")
            }
            let body = CopyReportJSON(
                from: EndpointJSON(source), to: EndpointJSON(destination), sizeBytes: size.bytes, segments: segments,
                seed: String(seed), method: report.method, fallbackReason: report.fallbackReason,
                sourceWrittenBy: report.sourceAccess, verifiedBy: report.destinationAccess, verified: report.mismatch == nil,
                mismatchOffset: report.mismatch?.offset, elapsedMicroseconds: Formatting.microseconds(report.elapsed),
                completionFaults: faults.map { CopyReportJSON.Faults(device: $0.0.name, counts: FaultCountsJSON($0.1)) })
            try finish(body, command: "copy", format: options.format, failure: failure) {
                printText(report, source: source, destination: destination, seed: seed, faults: faults)
            }
        }

        private func printText(_ report: CopyReport, source: Endpoint, destination: Endpoint, seed: UInt64,
                               faults: [(Endpoint, CompletionFaultCounts)]) {
            print("copy \(size.bytes) bytes \(source.name) -> \(destination.name): \(report.method), "
                  + "\(Formatting.milliseconds(report.elapsed)) (seed \(seed), \(segments) segments per side)")
            if let reason = report.fallbackReason { print("  transfer not possible (\(reason)); used a bounce buffer") }
            print("  source written by \(report.sourceAccess); destination read by \(report.destinationAccess)")
            if let mismatch = report.mismatch {
                print("  MISMATCH at byte \(mismatch.offset): expected 0x\(String(mismatch.expected, radix: 16)), "
                      + "found 0x\(String(mismatch.found, radix: 16))")
            } else {
                print("  verified: all \(size.bytes) bytes match")
            }
            for (endpoint, counts) in faults {
                print("  COMPLETION FAULTS of \(endpoint.name): \(counts) (see the warnings on stderr)")
            }
        }

        /// Runs the copy; after a timeout, ends the process at once (status 6), leaving the
        /// device open: closing waits for, or races with, the operation its driver still holds.
        private func runOrEnd(_ copier: DomainCopier, using generator: inout SeededGenerator) async throws(Failure) -> CopyReport {
            do throws(Failure) {
                return try await copier.run(using: &generator)
            } catch {
                guard error.status == .timedOut else { throw error }
                end(with: error, command: "copy")
            }
        }
    }
}
