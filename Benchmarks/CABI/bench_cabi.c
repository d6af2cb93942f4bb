/*
 * DMAHost — callgrind driver for the per-call cost of spdk/dma.h functions.
 *
 * Usage: bench_cabi pull|get_first|get_first_10|get_first_10000|get_next|get_next_destroyed|create_destroy N
 *
 *   pull            spdk_memory_domain_pull_data to a callback that completes at once
 *   get_first       spdk_memory_domain_get_first(id) past 65 other domains
 *   get_first_10, get_first_10000
 *                   the same past 10 and past 10,000 other domains (each with an id of its own):
 *                   what the lookup costs as the registry grows
 *   get_next        spdk_memory_domain_get_next(prev, NULL), prev registered, 65 domains in all
 *   get_next_destroyed  the same with prev destroyed (found again from the head of the registry);
 *                   libDMAHost.so only: a plain C library would read freed memory
 *   create_destroy  spdk_memory_domain_create(id) then spdk_memory_domain_destroy of that domain,
 *                   with 65 other domains registered
 *
 * Each mode does its setup, calls the measured function once (so that lazy symbol binding
 * and first-touch costs are paid in every run), then calls it N more times in a plain loop.
 * run.sh runs this under callgrind with N and with 0 and divides the difference of the two
 * instruction totals by N: the result is the cost of one call including the caller's loop.
 *
 * Built against the public header only (spdk/dma.h) and linked against libDMAHost.so.
 */
#include <spdk/dma.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Number of domains get_first must walk past before the match (the system domain is one of them). */
#define BENCH_DOMAINS_BEFORE_MATCH 65
/** Id of the domain get_first looks for. */
#define BENCH_TARGET_ID SPDK_RDMA_DMA_DEVICE

static unsigned long g_completions;

static void bench_cpl(void *ctx, int rc)
{
	(void)ctx;
	if (rc == 0) {
		g_completions++;
	}
}

/* A pull callback that completes at once, as a host-memory domain would for a no-op copy. */
static int bench_pull(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
		      struct iovec *src_iov, uint32_t src_iovcnt, struct iovec *dst_iov, uint32_t dst_iovcnt,
		      spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)src_domain;
	(void)src_domain_ctx;
	(void)src_iov;
	(void)src_iovcnt;
	(void)dst_iov;
	(void)dst_iovcnt;
	cpl_cb(cpl_cb_arg, 0);
	return 0;
}

static int bench_pull_loop(unsigned long n)
{
	struct spdk_memory_domain *domain = NULL;
	struct iovec src = { .iov_base = NULL, .iov_len = 4096 };
	struct iovec dst = { .iov_base = NULL, .iov_len = 4096 };
	int rc;

	if (spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_DMA, NULL, "bench_pull") != 0) {
		fprintf(stderr, "bench_cabi: cannot create the pull domain\n");
		return 1;
	}
	spdk_memory_domain_set_pull(domain, bench_pull);

	/* The callback completes a pull only when it returns 0, so counting completions checks
	 * every call of the loop without adding a comparison to it. */
	rc = spdk_memory_domain_pull_data(domain, NULL, &src, 1, &dst, 1, bench_cpl, NULL);
	for (unsigned long i = 0; i < n; i++) {
		spdk_memory_domain_pull_data(domain, NULL, &src, 1, &dst, 1, bench_cpl, NULL);
	}
	spdk_memory_domain_destroy(domain);
	if (rc != 0 || g_completions != n + 1) {
		fprintf(stderr, "bench_cabi: warm-up pull returned %d; %lu of %lu pulls completed\n", rc, g_completions, n + 1);
		return 1;
	}
	return 0;
}

/* Creates the `count` domains that precede the measured one (the system domain is first),
 * each with an id of its own. Returns how many were created; all of them on success. */
static int bench_create_some(struct spdk_memory_domain **domains, int count)
{
	char id[32];
	int created;

	for (created = 0; created < count; created++) {
		snprintf(id, sizeof(id), "bench_dev_%05d", created);
		if (spdk_memory_domain_create(&domains[created], SPDK_DMA_DEVICE_TYPE_RDMA, NULL, id) != 0) {
			fprintf(stderr, "bench_cabi: cannot create domain %s\n", id);
			break;
		}
	}
	return created;
}

/* The BENCH_DOMAINS_BEFORE_MATCH - 1 domains that precede the measured one. */
static int bench_create_background(struct spdk_memory_domain **domains)
{
	return bench_create_some(domains, BENCH_DOMAINS_BEFORE_MATCH - 1);
}

static void bench_destroy_background(struct spdk_memory_domain **domains, int created)
{
	while (created > 0) {
		spdk_memory_domain_destroy(domains[--created]);
	}
}

/* get_first(BENCH_TARGET_ID) with `before` domains created ahead of the target. */
static int bench_get_first_loop(unsigned long n, int before)
{
	struct spdk_memory_domain **domains = calloc((size_t)before + 1, sizeof(*domains));
	struct spdk_memory_domain *target = NULL;
	unsigned long misses = 0;
	int created = 0;
	int rc = 0;

	if (domains == NULL) {
		fprintf(stderr, "bench_cabi: out of memory\n");
		return 1;
	}
	created = bench_create_some(domains, before);
	if (created != before) {
		rc = 1;
		goto out;
	}
	if (spdk_memory_domain_create(&target, SPDK_DMA_DEVICE_TYPE_RDMA, NULL, BENCH_TARGET_ID) != 0) {
		fprintf(stderr, "bench_cabi: cannot create the target domain\n");
		rc = 1;
		goto out;
	}

	misses += spdk_memory_domain_get_first(BENCH_TARGET_ID) != target;
	for (unsigned long i = 0; i < n; i++) {
		misses += spdk_memory_domain_get_first(BENCH_TARGET_ID) != target;
	}
	if (misses != 0) {
		fprintf(stderr, "bench_cabi: get_first missed the target %lu times\n", misses);
		rc = 1;
	}
	spdk_memory_domain_destroy(target);
out:
	bench_destroy_background(domains, created);
	free(domains);
	return rc;
}

/* One step of a walk: get_next from a registered domain in the middle of the registry. */
static int bench_get_next_loop(unsigned long n)
{
	struct spdk_memory_domain *domains[BENCH_DOMAINS_BEFORE_MATCH];
	struct spdk_memory_domain *prev, *expected;
	unsigned long misses = 0;
	int created;
	int rc = 0;

	created = bench_create_background(domains);
	if (created != BENCH_DOMAINS_BEFORE_MATCH - 1) {
		rc = 1;
		goto out;
	}
	prev = domains[created / 2];
	expected = domains[created / 2 + 1];
	misses += spdk_memory_domain_get_next(prev, NULL) != expected;
	for (unsigned long i = 0; i < n; i++) {
		misses += spdk_memory_domain_get_next(prev, NULL) != expected;
	}
	if (misses != 0) {
		fprintf(stderr, "bench_cabi: get_next missed the successor %lu times\n", misses);
		rc = 1;
	}
out:
	bench_destroy_background(domains, created);
	return rc;
}

/* get_next from a domain destroyed in the middle of the registry: the walk resumes with the
 * first later domain, found from the head. Nothing is destroyed during the loop, so prev stays
 * in the quarantine (spdk/dma.h). */
static int bench_get_next_destroyed_loop(unsigned long n)
{
	struct spdk_memory_domain *domains[BENCH_DOMAINS_BEFORE_MATCH];
	struct spdk_memory_domain *prev, *expected;
	unsigned long misses = 0;
	int created;
	int rc = 0;

	created = bench_create_background(domains);
	if (created != BENCH_DOMAINS_BEFORE_MATCH - 1) {
		rc = 1;
		goto out;
	}
	prev = domains[created / 2];
	expected = domains[created / 2 + 1];
	spdk_memory_domain_destroy(prev);
	domains[created / 2] = NULL;
	misses += spdk_memory_domain_get_next(prev, NULL) != expected;
	for (unsigned long i = 0; i < n; i++) {
		misses += spdk_memory_domain_get_next(prev, NULL) != expected;
	}
	if (misses != 0) {
		fprintf(stderr, "bench_cabi: get_next from a destroyed domain missed its successor %lu times\n", misses);
		rc = 1;
	}
out:
	bench_destroy_background(domains, created);
	return rc;
}

/* A domain's whole life (create with an id, destroy) while 65 others are registered. */
static int bench_create_destroy_loop(unsigned long n)
{
	struct spdk_memory_domain *domains[BENCH_DOMAINS_BEFORE_MATCH];
	struct spdk_memory_domain *domain = NULL;
	unsigned long failures = 0;
	int created;
	int rc = 0;

	created = bench_create_background(domains);
	if (created != BENCH_DOMAINS_BEFORE_MATCH - 1) {
		rc = 1;
		goto out;
	}
	for (unsigned long i = 0; i <= n; i++) {
		if (spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, NULL, BENCH_TARGET_ID) != 0) {
			failures++;
			continue;
		}
		spdk_memory_domain_destroy(domain);
	}
	if (failures != 0) {
		fprintf(stderr, "bench_cabi: create failed %lu times\n", failures);
		rc = 1;
	}
out:
	bench_destroy_background(domains, created);
	return rc;
}

int main(int argc, char **argv)
{
	char *end = NULL;
	unsigned long n;

	if (argc != 3) {
		fprintf(stderr, "usage: %s pull|get_first|get_first_10|get_first_10000|get_next|get_next_destroyed|create_destroy N\n",
			argv[0]);
		return 2;
	}
	n = strtoul(argv[2], &end, 10);
	if (end == argv[2] || *end != '\0') {
		fprintf(stderr, "bench_cabi: N must be a number, got '%s'\n", argv[2]);
		return 2;
	}
	if (strcmp(argv[1], "pull") == 0) {
		return bench_pull_loop(n);
	}
	if (strcmp(argv[1], "get_first") == 0) {
		return bench_get_first_loop(n, BENCH_DOMAINS_BEFORE_MATCH - 1);
	}
	if (strcmp(argv[1], "get_first_10") == 0) {
		return bench_get_first_loop(n, 10);
	}
	if (strcmp(argv[1], "get_first_10000") == 0) {
		return bench_get_first_loop(n, 10000);
	}
	if (strcmp(argv[1], "get_next") == 0) {
		return bench_get_next_loop(n);
	}
	if (strcmp(argv[1], "get_next_destroyed") == 0) {
		return bench_get_next_destroyed_loop(n);
	}
	if (strcmp(argv[1], "create_destroy") == 0) {
		return bench_create_destroy_loop(n);
	}
	fprintf(stderr, "bench_cabi: unknown mode '%s'\n", argv[1]);
	return 2;
}
