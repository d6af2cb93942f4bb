/// The `copy` document.
struct CopyReportJSON: Encodable {
    /// Completion faults counted against one device during the copy.
    struct Faults: Encodable {
        let device: String
        let counts: FaultCountsJSON
    }

    let from: EndpointJSON
    let to: EndpointJSON
    let sizeBytes: Int
    let segments: Int
    /// The seed, as a string: JSON numbers lose precision above 2^53.
    let seed: String
    let method: String
    @Nullable var fallbackReason: String?
    let sourceWrittenBy: String
    let verifiedBy: String
    let verified: Bool
    @Nullable var mismatchOffset: Int?
    let elapsedMicroseconds: Int64
    let completionFaults: [Faults]
}
