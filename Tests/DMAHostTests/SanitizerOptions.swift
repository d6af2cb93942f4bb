/// Default options for the sanitizer runtimes when this test binary is built with
/// `--sanitize=thread` or `--sanitize=address` (ignored otherwise).
///
/// Several tests check that a user context of SIZE_MAX/2 bytes makes create fail with
/// -ENOMEM. The C allocator returns NULL for such a request; the sanitizers' allocators
/// instead abort the process unless `allocator_may_return_null=1`, which makes them behave
/// like the real allocator. The runtimes call these hooks once, at start-up; they return a
/// constant string and touch nothing else.

/// ThreadSanitizer's options hook.
@_cdecl("__tsan_default_options")
public func tsanDefaultOptions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(("allocator_may_return_null=1" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}

/// AddressSanitizer's options hook.
@_cdecl("__asan_default_options")
public func asanDefaultOptions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(("allocator_may_return_null=1" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}
