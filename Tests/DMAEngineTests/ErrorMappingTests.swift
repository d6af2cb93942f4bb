import DMABuf
import DMADriverKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The one place -1/errno becomes a typed error: EINTR retried, each errno its case, hints appended.
@Suite struct ErrorMappingTests {
    @Test func eintrIsRetriedThenTheResultReturned() throws {
        var calls = 0
        let rc = try SystemCall.check("test call") { () -> Int32 in
            calls += 1
            if calls < 4 { errno = EINTR; return -1 }
            return 42
        }
        #expect(rc == 42 && calls == 4)
    }

    @Test(arguments: [(EINVAL, "invalidArgument"), (ENOMEM, "outOfMemory"), (ENODEV, "noDevice"), (EAGAIN, "tryAgain"),
                      (EIO, "ioError"), (EBADF, "system"), (ENOTTY, "system"), (EFAULT, "system")])
    func errnoBecomesItsCaseWithOperationAndHint(code: Int32, expected: String) {
        var calls = 0
        do throws(DMAError) {
            try SystemCall.check("ioctl(X) on /dev/thing", hint: { $0 == code ? "do this instead" : nil }) { () -> Int32 in
                calls += 1
                errno = code
                return -1
            }
            Issue.record("no error thrown")
        } catch {
            #expect(calls == 1, "only EINTR is retried")
            #expect(error.errno == code)
            #expect(error.message.hasPrefix("ioctl(X) on /dev/thing: "))
            #expect(error.message.hasSuffix("; do this instead"))
            #expect(String(describing: error).contains(String(cString: strerror(code))))
            let name: String = switch error {
            case .invalidArgument: "invalidArgument"
            case .outOfMemory: "outOfMemory"
            case .noDevice: "noDevice"
            case .tryAgain: "tryAgain"
            case .ioError: "ioError"
            case .system: "system"
            default: "other"
            }
            #expect(name == expected)
        }
    }

    @Test func appendingKeepsTheCaseAndErrno() {
        let error = DMAError.system(errno: EBADF, "fd 9").appending("it is closed")
        #expect(error.errno == EBADF && error.message == "fd 9; it is closed")
        #expect(DMAError.tryAgain("x").appending("y") == .tryAgain("x; y"))
    }

    @Test func closedDescriptorSaysSo() {
        let fd = closedDescriptor()
        do throws(DMAError) {
            try requireOpen(fd, role: "dma-buf")
            Issue.record("a closed fd passed")
        } catch {
            #expect(error.errno == EBADF)
            #expect(error.message.contains("is not open"))
        }
    }
}

/// A descriptor number that was open a moment ago and is closed now. Taken high (fds are
/// allocated lowest-first), so tests running in parallel do not reuse it meanwhile.
func closedDescriptor() -> Int32 {
    let fd = fcntl(0, F_DUPFD_CLOEXEC, 900)
    close(fd)
    return fd
}
