/*
 * Sanitizer runtime option hooks for the test binary (see sanitizer_defaults.c).
 * Nothing to call: the sanitizer runtimes find these by name.
 */
#ifndef DMAHOST_SANITIZER_DEFAULTS_H
#define DMAHOST_SANITIZER_DEFAULTS_H

/** Options for ThreadSanitizer, read once at start-up. */
const char *__tsan_default_options(void);
/** Options for AddressSanitizer, read once at start-up. */
const char *__asan_default_options(void);
/** Leak suppressions for LeakSanitizer, read once at start-up. */
const char *__lsan_default_suppressions(void);

#endif
