/*
 * DMAHost C ABI conformance program — shared check machinery and section entry points.
 *
 * The program exercises spdk/dma.h the way SPDK code uses it, through the public header
 * only, linked against libDMAHost.so. Each section file checks one concept; main() in
 * conformance.c runs them in order and prints "N passed, M failed".
 *
 * The program is single-threaded except in conf_threads.c and conf_churn.c, and every section destroys
 * what it creates, so a section may rely on the registry holding only the system domain
 * when it starts (conf_registry_count(NULL) == 1).
 */
#ifndef DMAHOST_CONFORMANCE_H
#define DMAHOST_CONFORMANCE_H

#define _POSIX_C_SOURCE 200809L

#include <spdk/dma.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Records one check; prints it when it fails (or always with CONFORMANCE_VERBOSE=1). */
bool conf_check(bool ok, const char *what, const char *file, int line);
/** Records an integer comparison; prints both values when they differ. */
bool conf_check_int(long long actual, long long expected, const char *what, const char *file, int line);
/** Records a pointer comparison; prints both values when they differ. */
bool conf_check_ptr(const void *actual, const void *expected, const char *what, const char *file, int line);
/** Records a string comparison (NULL equals only NULL); prints both when they differ. */
bool conf_check_str(const char *actual, const char *expected, const char *what, const char *file, int line);

#define CHECK(cond) conf_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_INT(actual, expected) conf_check_int((long long)(actual), (long long)(expected), #actual " == " #expected, __FILE__, __LINE__)
#define CHECK_PTR(actual, expected) conf_check_ptr((const void *)(actual), (const void *)(expected), #actual " == " #expected, __FILE__, __LINE__)
#define CHECK_STR(actual, expected) conf_check_str((actual), (expected), #actual " == " #expected, __FILE__, __LINE__)

/** Prints a section header (with CONFORMANCE_VERBOSE=1). */
void conf_section(const char *name);

/** Number of domains a walk get_first(id)/get_next(.., id) visits. */
size_t conf_registry_count(const char *id);
/** Position (0 = first) of \b domain in the unfiltered walk, or -1 when absent. */
long conf_registry_index(struct spdk_memory_domain *domain);
/** Creates a domain with no context; records a failed check and returns NULL on error. */
struct spdk_memory_domain *conf_create(enum spdk_dma_device_type type, const char *id);

/** An address no real object has, for pass-through checks (distinct per \b n). */
#define CONF_TAG(n) ((void *)(uintptr_t)(0x5eed0000u + 0x100u * (unsigned)(n)))

void conf_types(void);
void conf_system_domain(void);
void conf_create_rules(void);
void conf_context_copy(void);
void conf_iteration(void);
void conf_dispatch_routing(void);
void conf_dispatch_passthrough(void);
void conf_reentry(void);
void conf_threads(void);
void conf_destroyed(void);
void conf_churn(void);

#endif /* DMAHOST_CONFORMANCE_H */
