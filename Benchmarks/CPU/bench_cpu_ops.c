/*
 * DMAHost — one 64-byte copy at a time through the CPU backend, for callgrind:
 *
 *   bench_cpu_ops <plugin path> <n>          (poll mode)
 *   bench_cpu_ops <plugin path> <n> chain    (worker mode, the callback resubmits)
 *
 * chain: the completion callback, on the worker, submits the next copy until <n> have
 * completed (bdevperf style, what `dmactl bench --resubmit callback` does); the main thread
 * sleeps on a semaphore meanwhile. callgrind.sh counts the whole round trip per operation.
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
#include <semaphore.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmahost/cpu_accel.h"
#include "dmahost/host.h"
#include "spdk/dma.h"

static volatile int completed;

/* The chain: what the resubmitting callback needs. */
static struct spdk_memory_domain *chain_domain;
static struct iovec chain_source, chain_destination;
static long chain_left;
static sem_t chain_done;

static void on_chain_complete(void *arg, int rc) {
	(void)arg;
	if (rc != 0) {
		fprintf(stderr, "bench_cpu_ops: completion rc %d\n", rc);
		exit(1);
	}
	if (--chain_left <= 0) {
		sem_post(&chain_done);
		return;
	}
	if (spdk_memory_domain_push_data(chain_domain, NULL, &chain_destination, 1, &chain_source, 1, on_chain_complete, NULL) != 0) {
		fprintf(stderr, "bench_cpu_ops: resubmission refused\n");
		exit(1);
	}
}

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
	int chain = argc == 4 && strcmp(argv[3], "chain") == 0;
	if (argc != 3 && !chain) {
		fprintf(stderr, "usage: bench_cpu_ops <libdmahost-cpu.so> <n> [chain]\n");
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
	static char source[64], destination[64];
	memset(source, 0x5a, sizeof(source));
	if (chain) {
		/* DMAHOST_CPU_COMPLETION=worker: one chain of n copies, started here, run on the worker. */
		chain_domain = domain;
		chain_source = (struct iovec){source, sizeof(source)};
		chain_destination = (struct iovec){destination, sizeof(destination)};
		chain_left = n;
		sem_init(&chain_done, 0, 0);
		if (n > 0) {
			if (spdk_memory_domain_push_data(domain, NULL, &chain_destination, 1, &chain_source, 1, on_chain_complete, NULL) != 0)
				return 1;
			while (sem_wait(&chain_done) != 0) {}
		}
		int intact = n == 0 || memcmp(source, destination, sizeof(source)) == 0;
		dmahost_host_destroy(host);
		return intact ? 0 : 1;
	}
	size_t size = 0;
	const struct dmahost_cpu_domain_ctx *ctx = spdk_memory_domain_get_user_context(domain, &size);
	if (ctx == NULL || size < sizeof(*ctx) || ctx->magic != DMAHOST_CPU_DOMAIN_MAGIC ||
	    ctx->completion_mode != DMAHOST_CPU_COMPLETION_POLL) {
		fprintf(stderr, "bench_cpu_ops: cpu:0 is not a CPU domain in poll mode (set DMAHOST_CPU_COMPLETION=poll)\n");
		return 2;
	}
	struct iovec src = {source, sizeof(source)}, dst = {destination, sizeof(destination)};
	if (one_copy(domain, ctx, &dst, &src) != 0) return 1;
	for (long i = 0; i < n; i++) {
		if (one_copy(domain, ctx, &dst, &src) != 0) return 1;
	}
	if (memcmp(source, destination, sizeof(source)) != 0) return 1;
	dmahost_host_destroy(host);
	return 0;
}
