/*
 * DMAHost C ABI conformance program — entry point and check bookkeeping.
 *
 * Build (from the package root):
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/CDMAHostABI/include \
 *      -o conformance Tests/CConformance/[a-z]*.c -L <bin> -lDMAHost -Wl,-rpath,<bin>
 *
 * Prints every failed check and a last line "N passed, M failed"; exits 0 only when
 * nothing failed. Set CONFORMANCE_VERBOSE=1 to print passed checks and section names.
 * A watchdog (alarm) turns a deadlock into a failure exit instead of a hang.
 */
#include "conformance.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** Seconds after which the program gives up (a deadlock in the library). */
#define CONF_WATCHDOG_SECONDS 120

static unsigned long g_passed;
static unsigned long g_failed;
static bool g_verbose;

bool conf_check(bool ok, const char *what, const char *file, int line)
{
	if (ok) {
		g_passed++;
		if (g_verbose) {
			printf("  ok   %s:%d: %s\n", file, line, what);
		}
	} else {
		g_failed++;
		printf("  FAIL %s:%d: %s\n", file, line, what);
	}
	return ok;
}

bool conf_check_int(long long actual, long long expected, const char *what, const char *file, int line)
{
	bool ok = actual == expected;

	if (!conf_check(ok, what, file, line)) {
		printf("       got %lld, expected %lld\n", actual, expected);
	}
	return ok;
}

bool conf_check_ptr(const void *actual, const void *expected, const char *what, const char *file, int line)
{
	bool ok = actual == expected;

	if (!conf_check(ok, what, file, line)) {
		printf("       got %p, expected %p\n", actual, expected);
	}
	return ok;
}

bool conf_check_str(const char *actual, const char *expected, const char *what, const char *file, int line)
{
	bool ok = (actual == NULL || expected == NULL) ? actual == expected : strcmp(actual, expected) == 0;

	if (!conf_check(ok, what, file, line)) {
		printf("       got %s%s%s, expected %s%s%s\n", actual ? "\"" : "", actual ? actual : "NULL", actual ? "\"" : "",
		       expected ? "\"" : "", expected ? expected : "NULL", expected ? "\"" : "");
	}
	return ok;
}

void conf_section(const char *name)
{
	if (g_verbose) {
		printf("== %s\n", name);
	}
}

size_t conf_registry_count(const char *id)
{
	size_t count = 0;

	for (struct spdk_memory_domain *d = spdk_memory_domain_get_first(id); d != NULL;
	     d = spdk_memory_domain_get_next(d, id)) {
		count++;
	}
	return count;
}

long conf_registry_index(struct spdk_memory_domain *domain)
{
	long index = 0;

	for (struct spdk_memory_domain *d = spdk_memory_domain_get_first(NULL); d != NULL;
	     d = spdk_memory_domain_get_next(d, NULL), index++) {
		if (d == domain) {
			return index;
		}
	}
	return -1;
}

struct spdk_memory_domain *conf_create(enum spdk_dma_device_type type, const char *id)
{
	struct spdk_memory_domain *domain = NULL;
	int rc = spdk_memory_domain_create(&domain, type, NULL, id);

	if (!CHECK_INT(rc, 0) || !CHECK(domain != NULL)) {
		return NULL;
	}
	return domain;
}

static void on_watchdog(int sig)
{
	static const char message[] = "conformance: watchdog expired (deadlock in the library?)\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, message, sizeof(message) - 1);
	_exit(3);
}

int main(void)
{
	const char *verbose = getenv("CONFORMANCE_VERBOSE");

	g_verbose = verbose != NULL && strcmp(verbose, "1") == 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_watchdog);
	alarm(CONF_WATCHDOG_SECONDS);

	/* First: the system domain must exist before any other call of the library. */
	conf_system_domain();
	conf_types();
	conf_create_rules();
	conf_context_copy();
	conf_iteration();
	conf_dispatch_routing();
	conf_dispatch_passthrough();
	conf_reentry();
	conf_threads();
	conf_destroyed();
	conf_churn();

	conf_section("registry is back to the system domain alone");
	CHECK_INT(conf_registry_count(NULL), 1);
	CHECK_PTR(spdk_memory_domain_get_first(NULL), spdk_memory_domain_get_system_domain());

	printf("%lu passed, %lu failed\n", g_passed, g_failed);
	return g_failed == 0 ? 0 : 1;
}
