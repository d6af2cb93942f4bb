/*
 * DMAHost — one 64-byte copy at a time through the CPU backend in poll mode, for callgrind:
 *
 *   bench_cpu_ops <plugin path> <n>
 *
 * Loads the plugin through the host C API (dmahost/host.h), opens cpu:0 (the caller sets
 * DMAHOST_CPU_WORKERS=1 and DMAHOST_CPU_COMPLETION=poll), warms up with one operation, then
 * runs <n> operations: spdk_memory_domain_push_data of 64 bytes, then the domain's poll
 * function (dmahost/cpu_accel.h) until the completion arrived (after a short sleep, so that the
 * worker has finished and one poll call delivers). callgrind.sh counts the instructions of the
 * submission (spdk_memory_domain_push_data: dispatch, plugin callback, engine submit) and of
 * the polls (reap and callback) with callgrind's --toggle-collect.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmahost/cpu_accel.h"
#include "dmahost/host.h"
#include "spdk/dma.h"

static volatile int completed;

static void on_complete(void *arg, int rc) {
	(void)arg;
	if (rc != 0) {
		fprintf(stderr, "bench_cpu_ops: completion rc %d\n", rc);
		exit(1);
	}
	completed++;
}

static int one_copy(struct spdk_memory_domain *domain, const struct dmahost_cpu_domain_ctx *ctx, struct iovec *dst,
		    struct iovec *src) {
	completed = 0;
	int rc = spdk_memory_domain_push_data(domain, NULL, dst, 1, src, 1, on_complete, NULL);
	if (rc != 0) return rc;
	/* Let the worker finish first, so that (almost always) one poll call delivers. */
	usleep(20);
	while (!completed) {
		if (ctx->poll(ctx->engine, 1) == 0) usleep(20);
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: bench_cpu_ops <libdmahost-cpu.so> <n>\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	struct dmahost_host *host = NULL;
	char err[256] = "";
	if (dmahost_host_create(&host) != 0 || dmahost_load_path(host, argv[1]) != 1) {
		fprintf(stderr, "bench_cpu_ops: cannot load %s\n", argv[1]);
		return 2;
	}
	struct spdk_memory_domain *domain = NULL;
	uint32_t count = 0;
	if (dmahost_open(host, "cpu:0", &domain, 1, &count, err, sizeof(err)) != 0 || count != 1) {
		fprintf(stderr, "bench_cpu_ops: cannot open cpu:0: %s\n", err);
		return 2;
	}
	size_t size = 0;
	const struct dmahost_cpu_domain_ctx *ctx = spdk_memory_domain_get_user_context(domain, &size);
	if (ctx == NULL || size < sizeof(*ctx) || ctx->magic != DMAHOST_CPU_DOMAIN_MAGIC ||
	    ctx->completion_mode != DMAHOST_CPU_COMPLETION_POLL) {
		fprintf(stderr, "bench_cpu_ops: cpu:0 is not a CPU domain in poll mode (set DMAHOST_CPU_COMPLETION=poll)\n");
		return 2;
	}
	static char source[64], destination[64];
	memset(source, 0x5a, sizeof(source));
	struct iovec src = {source, sizeof(source)}, dst = {destination, sizeof(destination)};
	if (one_copy(domain, ctx, &dst, &src) != 0) return 1;
	for (long i = 0; i < n; i++) {
		if (one_copy(domain, ctx, &dst, &src) != 0) return 1;
	}
	if (memcmp(source, destination, sizeof(source)) != 0) return 1;
	dmahost_host_destroy(host);
	return 0;
}
