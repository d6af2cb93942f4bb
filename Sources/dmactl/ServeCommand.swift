import ArgumentParser
import DMABench
import DriverHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DMACtl {
    /// `dmactl serve`: exposes memory to UCX clients on other hosts through the ucx plugin's server.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Expose memory to UCX clients on other hosts: they open it as device ucx:IP:PORT.",
            discussion: """
                Listens on --listen with the ucx plugin's server (UCP listener; port 0 takes a free port) \
                and exposes --size bytes of system memory, or of a buffer allocated from a dma-buf domain \
                (--dmabuf dmabuf:udmabuf). Clients (dmactl --ucx-peer IP:PORT, or DMAHOST_UCX_PEERS) read \
                and write it with UCP RMA and allocate in it through the server's allocator; a client that \
                disconnects or dies gets its allocations freed and does not disturb the others.

                The first line on stdout, once listening: `serving ucx:IP:PORT BYTES bytes read-write` (or \
                read-only); with --format json one JSON object per line instead (event "listening", then \
                "clients"). SIGUSR1 prints every client's counters (peer, connected time, allocations, and \
                the bytes and operations it reported); SIGINT or SIGTERM prints them and exits 0.

                Exit status: 0 after SIGINT/SIGTERM; 1 when the server cannot start; 2 usage; 3 no such \
                dma-buf domain; 4 no driver loaded (the ucx plugin is needed).
                """
        )

        @Option(help: ArgumentHelp("The address to listen on: IP:PORT or [IPv6]:PORT.", valueName: "ip:port"))
        var listen: String

        @Option(help: ArgumentHelp("Bytes to expose: \(ByteSize.grammarHelp).", valueName: "size"), transform: ByteSize.argument)
        var size: ByteSize

        @Flag(name: .customLong("read-only"), help: "Expose the memory for remote reads only: clients' writes get EACCES.")
        var readOnly = false

        @Option(help: ArgumentHelp("Expose a buffer of this dma-buf domain (e.g. dmabuf:udmabuf) instead of system memory.",
                                   valueName: "domain"))
        var dmabuf: String?

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        func run() async throws {
            let options = self.options.merged(with: root.global)
            // A server restarted after it died listens on its port again at once (its old
            // connections linger in TIME_WAIT): UCX's TCP connection manager reuses the address.
            setenv("UCX_TCP_CM_REUSEADDR", "y", 0)
            let session = try Session(options)
            guard let driver = session.host.drivers.first(where: { $0.name == "ucx" }) else {
                throw Failure(.noDrivers, "the ucx plugin (libdmahost-ucx.so) is not loaded; `dmactl doctor` says why")
            }
            let entry = try UCXServerEntry(pluginPath: driver.path)
            var exposed: SegmentedBuffer?
            if let dmabuf {
                let endpoint = try Endpoint.resolve(dmabuf, host: session.host, for: "serve")
                guard endpoint.dmabufContext != nil else {
                    throw Failure(.usage, "--dmabuf \(dmabuf): not a dma-buf domain (dmactl list shows them as dmabuf:…)")
                }
                exposed = try SegmentedBuffer(for: endpoint, length: size.bytes, alignment: 4096, lengths: [size.bytes])
            }
            let signals = try ServeSignals.install()
            let server = try UCXServer(entry: entry, listen: listen, memory: exposed?.base, length: size.bytes, readOnly: readOnly)
            guard let listening = ServeReport(description: server.describe()) else {
                server.stop()
                throw Failure(.failed, "the ucx plugin's server described itself in a form this dmactl cannot read")
            }
            emit(listening, event: "listening", json: options.format == .json)
            while let signal = ServeSignals.next(from: signals) {
                let report = ServeReport(description: server.describe()) ?? listening
                emit(report, event: "clients", json: options.format == .json)
                if signal != SIGUSR1 { break }
            }
            server.stop()
            withExtendedLifetime(exposed) {}
        }

        /// Prints `report` (the listening line, or the clients) and flushes stdout.
        private func emit(_ report: ServeReport, event: String, json: Bool) {
            if json {
                print(report.jsonLine(event: event))
            } else if event == "listening" {
                print(report.listeningLine)
            } else {
                for line in report.clientLines { print(line) }
            }
            fflush(nil)  // stdout: each line reaches a pipe at once
        }
    }
}
