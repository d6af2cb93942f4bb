import CIBVerbsShim
@testable import RDMAVerbsKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Work completion status → errno")
struct CompletionStatusTests {
    @Test("Each status maps to the documented negative errno", arguments: [
        (IBV_WC_SUCCESS, Int32(0)), (IBV_WC_REM_ACCESS_ERR, -EACCES), (IBV_WC_LOC_PROT_ERR, -EFAULT),
        (IBV_WC_RETRY_EXC_ERR, -ETIMEDOUT), (IBV_WC_RNR_RETRY_EXC_ERR, -ETIMEDOUT), (IBV_WC_WR_FLUSH_ERR, -ECANCELED),
        (IBV_WC_LOC_LEN_ERR, -EIO), (IBV_WC_REM_OP_ERR, -EIO), (IBV_WC_GENERAL_ERR, -EIO), (IBV_WC_REM_INV_REQ_ERR, -EIO),
    ])
    func mapping(status: ibv_wc_status, expected: Int32) {
        #expect(CompletionStatus.errno(for: status) == expected)
        #expect(!CompletionStatus.name(of: status).isEmpty)
    }

    @Test("A real error wins over a flush; the first real error stays")
    func merge() {
        #expect(CompletionStatus.merge(0, -ECANCELED) == -ECANCELED)
        #expect(CompletionStatus.merge(-ECANCELED, -EFAULT) == -EFAULT)
        #expect(CompletionStatus.merge(-EFAULT, -ECANCELED) == -EFAULT)
        #expect(CompletionStatus.merge(-EFAULT, -EACCES) == -EFAULT)
        #expect(CompletionStatus.merge(-EIO, 0) == -EIO)
    }

    @Test("Verbs errors keep their errno and name the function and a remedy")
    func verbsErrors() {
        let error = VerbsError(function: "ibv_reg_mr", errno: ENOMEM, context: "registering 4096 bytes")
        #expect(error.dmaError.errno == ENOMEM)
        #expect(error.description.contains("ibv_reg_mr") && error.description.contains("RLIMIT_MEMLOCK"))
        #expect(VerbsError(function: "ibv_post_send", errno: EINVAL, context: "x").dmaError == .invalidArgument(VerbsError(function: "ibv_post_send", errno: EINVAL, context: "x").description))
    }
}
