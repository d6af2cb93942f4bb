/*
 * Default options for the sanitizer runtimes when the test binary is built with
 * `swift test --sanitize=thread` or `--sanitize=address` (unused otherwise).
 *
 * Several tests check that a user context of SIZE_MAX/2 bytes makes create fail with
 * -ENOMEM. The C allocator returns NULL for such a request; the sanitizers' allocators
 * abort the process instead unless allocator_may_return_null=1, which makes them behave
 * like the real allocator.
 *
 * LeakSanitizer (part of --sanitize=address) also checks the process at exit. Two leaks are
 * not ours and are suppressed by the library they occur in: XCTest's runner (the XCTest
 * pass `swift test` makes even when there are no XCTest tests) and Foundation's Process
 * (a weak reference formed in Process.run). Leaks anywhere else still fail the run.
 *
 * The runtimes call these hooks while they initialise, before any instrumented code may
 * run, so the hooks are C with instrumentation disabled (a Swift function cannot opt out).
 */
#include "sanitizer_defaults.h"

#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define DMAHOST_UNINSTRUMENTED __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef DMAHOST_UNINSTRUMENTED
#define DMAHOST_UNINSTRUMENTED
#endif

/** ThreadSanitizer's options hook. */
DMAHOST_UNINSTRUMENTED const char *__tsan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/** AddressSanitizer's options hook. */
DMAHOST_UNINSTRUMENTED const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/** LeakSanitizer's suppressions: third-party leaks only (see above). */
DMAHOST_UNINSTRUMENTED const char *__lsan_default_suppressions(void)
{
	return "leak:libXCTest.so\n"
	       "leak:*Foundation7ProcessC3run*\n";
}
