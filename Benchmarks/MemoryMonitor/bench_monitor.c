/*
 * What the memory monitor costs the program it watches: mmap + touch + munmap of a buffer,
 * unwatched (the baseline) and watched (UFFDIO_REGISTER before the munmap, so the munmap waits
 * until the monitor thread has read its event), interleaved in rounds; plus the cost of
 * UFFDIO_REGISTER itself and of an idle sequence check (the per-operation cost).
 * Prints one line per measurement with the median and spread of the rounds' per-call times.
 */
#define _GNU_SOURCE
#include "dmahost_memory_monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *samples, int rounds, double baseline)
{
	qsort(samples, (size_t)rounds, sizeof(double), compare);
	double median = samples[rounds / 2];
	printf("%-44s median %9.0f ns  (min %.0f, max %.0f)", what, median, samples[0], samples[rounds - 1]);
	if (baseline > 0) {
		printf("  %.2fx the unwatched median", median / baseline);
	}
	printf("\n");
}

/* One round: `iterations` times map, touch every page, (watch), unmap. Returns ns per iteration. */
static double cycle(struct dmahost_memmon *monitor, size_t length, int iterations, int watch)
{
	double start = now_ns();
	for (int i = 0; i < iterations; i++) {
		char *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		for (size_t off = 0; off < length; off += 4096) {
			p[off] = 1;
		}
		if (watch && dmahost_memmon_watch(monitor, (uintptr_t)p, length) != 0) {
			fprintf(stderr, "watch failed\n");
			exit(1);
		}
		munmap(p, length);
	}
	return (now_ns() - start) / iterations;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 11;
	int iterations = argc > 2 ? atoi(argv[2]) : 2000;
	size_t length = argc > 3 ? (size_t)atol(argv[3]) : 65536;
	if (rounds < 1 || rounds > 1000 || iterations < 1) {
		fprintf(stderr, "usage: %s [rounds 1-1000] [iterations] [bytes]\n", argv[0]);
		return 2;
	}
	struct dmahost_memmon *monitor = NULL;
	char reason[256] = "";
	if (dmahost_memmon_start(&monitor, reason, sizeof(reason)) != 0) {
		printf("skipped: no memory monitor here (%s)\n", reason);
		return 0;
	}
	double *plain = calloc((size_t)rounds, sizeof(double));
	double *watched = calloc((size_t)rounds, sizeof(double));
	double *checks = calloc((size_t)rounds, sizeof(double));
	if (plain == NULL || watched == NULL || checks == NULL) {
		return 1;
	}
	cycle(monitor, length, iterations / 10 + 1, 1); /* warm up */
	for (int r = 0; r < rounds; r++) {
		plain[r] = cycle(monitor, length, iterations, 0);
		watched[r] = cycle(monitor, length, iterations, 1);
		volatile uint64_t sink = 0;
		double start = now_ns();
		for (int i = 0; i < 1000000; i++) {
			sink += dmahost_memmon_sequence(monitor);
		}
		checks[r] = (now_ns() - start) / 1e6;
	}
	printf("mmap + touch + munmap of %zu bytes, %d rounds of %d (medians of rounds, per call):\n", length, rounds, iterations);
	qsort(plain, (size_t)rounds, sizeof(double), compare);
	double baseline = plain[rounds / 2];
	report("unwatched (baseline)", plain, rounds, 0);
	report("watched (register, then munmap waits for it)", watched, rounds, baseline);
	report("idle sequence check (per operation)", checks, rounds, 0);
	struct dmahost_memmon_counts counts = dmahost_memmon_counts(monitor);
	printf("events read: %llu unmap; ranges watched: %llu\n", (unsigned long long)counts.unmap,
	       (unsigned long long)counts.watched);
	return 0;
}
