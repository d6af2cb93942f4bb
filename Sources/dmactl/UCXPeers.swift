#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `--ucx-peer`: the UCX plugin reads its peers from `DMAHOST_UCX_PEERS` when it probes, so
/// dmactl adds the options' peers to that variable before it loads the plugins.
enum UCXPeers {
    /// The variable the UCX plugin reads (declared in its table; `dmactl env` lists it).
    static let variable = "DMAHOST_UCX_PEERS"

    /// Appends `peers` to the variable's comma-separated list (each peer once).
    static func export(_ peers: [String]) {
        guard !peers.isEmpty else { return }
        let current = getenv(variable).map { String(cString: $0) } ?? ""
        var list = current.split(separator: ",").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
        for peer in peers where !list.contains(peer) { list.append(peer) }
        setenv(variable, list.joined(separator: ","), 1)
    }
}

private extension Substring {
    /// The text without `character` at either end.
    func trimmingCharacters(in character: Character) -> String {
        var text = self
        while text.first == character { text = text.dropFirst() }
        while text.last == character { text = text.dropLast() }
        return String(text)
    }
}
