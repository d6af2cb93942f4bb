/*
 * DMAHost — copy kernels alone, one thread, no engine: which loop moves 64 KiB, 256 KiB and
 * 1 MiB fastest on this CPU, through the caches (hot) and past them (cold).
 *
 *   kernels [hot|cold|all] [--rounds N] [--ms M] [--source-offset B] [--size BYTES]
 *           [--only NAME,NAME...]
 *
 * hot:  32 slots a side, each <size> bytes (2 MiB a side at 64 KiB, 8 MiB at 256 KiB: the
 *       working set of `dmactl bench --qd 32 --hot`); before each measurement the candidate
 *       copies every slot once unmeasured, then copies slot after slot in order.
 * cold: slots covering 4x the last-level cache a side (sysfs, else 32 MiB), touched once;
 *       every measurement continues where the previous one stopped, so each slot was last
 *       touched a few hundred MiB ago.
 *
 * Each round measures every candidate once for M milliseconds (default 60 hot, 120 cold), the
 * order rotated by one each round, so candidates alternate over the same buffers and drift of
 * the machine's speed reaches them alike. Printed per candidate: the median GB/s (10^9 bytes/s)
 * of N rounds (default 7), and the median (min..max) of its ratio to glibc memcpy measured in
 * the same round. Destinations are page-aligned; sources are page-aligned plus B bytes
 * (default 0). --size measures that size only (else 64 KiB, 256 KiB and 1 MiB); --only the
 * candidates so named (memcpy, the base of the ratios, always runs).
 *
 * The candidates (kernel_candidates.h), through the caches: glibc memcpy, rep movsb (whole,
 * and in pieces with the next piece's source prefetched), AVX-512 and AVX2 load/store loops
 * (aligned destination, 2, 4 and 8 vectors per iteration; with the source prefetched ahead, or
 * the destination prefetched for writing), and AVX-512 stores into lines first claimed with
 * CLZERO. With non-temporal stores (the engine's streaming path): one 64-byte line per
 * iteration as the engine's kernel does (sfence per copy), four and eight lines per iteration
 * (loads before stores), software prefetch of the source (in the loop at several distances,
 * only over the start of a copy, or at each page boundary), one sfence per 4 or per 32 copies
 * instead of per copy, and two copies interleaved in 4 KiB pieces. Probes (rows named
 * "probe:", no copy) give what the thread reaches reading only and writing only, the limits a
 * copy shares. Candidates the CPU lacks (cpuid and XCR0) are left out; every copy candidate is
 * checked against memcpy (several lengths and offsets) before anything is measured.
 *
 * Build and run: Benchmarks/CPU/kernels.sh [arguments] (cc -O2; x86-64 only).
 * SPDX-License-Identifier: BSD-3-Clause
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "kernels.c measures x86-64 kernels"
#endif

enum { HOT_SLOTS = 32, MAX_ROUNDS = 99, MAX_CANDIDATES = 32 };

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#include "kernel_candidates.h"
#include "last_level_cache.h"

/* ---- working sets ---- */

struct working_set {
	char *source, *destination;
	size_t slots, stride, size, next;
};

static int plan(struct working_set *set, size_t size, size_t slots, size_t source_offset) {
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	set->size = size;
	set->slots = slots;
	set->stride = (size + source_offset + page - 1) / page * page;
	set->next = 0;
	size_t bytes = set->stride * slots;
	void *source = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *destination = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (source == MAP_FAILED || destination == MAP_FAILED) {
		perror("kernels: mmap");
		return -1;
	}
	memset(source, 0x5A, bytes);
	memset(destination, 0xA5, bytes);
	set->source = (char *)source + source_offset;
	set->destination = destination;
	return 0;
}

static void release(struct working_set *set, size_t source_offset) {
	munmap(set->source - source_offset, set->stride * set->slots);
	munmap(set->destination, set->stride * set->slots);
}

/* Copies `count` slots from set->next on with `c`, fencing as it says. */
static void copy_slots(const struct candidate *c, struct working_set *set, size_t count) {
	for (size_t i = 0; i < count;) {
		size_t slot = set->next;
		char *d = set->destination + slot * set->stride;
		const char *s = set->source + slot * set->stride;
		if (c->pairs && slot + 1 < set->slots) {
			nt_x4_pair(d, s, d + set->stride, s + set->stride, set->size);
			i += 2, set->next += 2;
		} else {
			if (c->pairs) stream_copy(d, s, set->size, 0, lines_x4);
			else c->copy(d, s, set->size, c->arg);
			i += 1, set->next += 1;
		}
		if (set->next >= set->slots) set->next = 0;
		if (c->fence_every && (c->pairs || set->next % (size_t)c->fence_every == 0)) _mm_sfence();
	}
	if (c->fence_every) _mm_sfence();
}

/* GB/s of `c` over `set` for `ms` milliseconds; hot: after one unmeasured pass. */
static double measure(const struct candidate *c, struct working_set *set, int hot, double ms) {
	size_t step = hot ? set->slots : 8;
	if (hot) {
		set->next = 0;
		copy_slots(c, set, set->slots);
	}
	size_t copies = 0;
	double start = now(), elapsed;
	do {
		copy_slots(c, set, step);
		copies += step;
		elapsed = now() - start;
	} while (elapsed * 1e3 < ms);
	return (double)copies * (double)set->size / elapsed / 1e9;
}

static int compare(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *values, int count) {
	double sorted[MAX_ROUNDS];
	memcpy(sorted, values, sizeof(double) * (size_t)count);
	qsort(sorted, (size_t)count, sizeof(double), compare);
	return count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

/* Comma-separated candidate names from --only; NULL: every candidate. */
static const char *only;

static int selected(const struct candidate *c, const struct candidate *base) {
	if (!only || c == base) return 1;
	size_t length = strlen(c->name);
	for (const char *p = only; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t span = comma ? (size_t)(comma - p) : strlen(p);
		if (span == length && !strncmp(p, c->name, length)) return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* One table: every available candidate of `list` at `size`, `rounds` alternations. */
static int run(const struct candidate *list, int listed, int hot, size_t size, int rounds, double ms, size_t source_offset) {
	const struct candidate *chosen[MAX_CANDIDATES];
	int count = 0;
	for (int i = 0; i < listed && count < MAX_CANDIDATES; i++)
		if (available(&list[i]) && selected(&list[i], &list[0])) chosen[count++] = &list[i];
	size_t slots = HOT_SLOTS;
	if (!hot) {
		size_t side = 4 * last_level_cache();
		slots = (side + size - 1) / size;
		if (slots < 2 * HOT_SLOTS) slots = 2 * HOT_SLOTS;
	}
	struct working_set set;
	if (plan(&set, size, slots, source_offset) != 0) return -1;
	static double rates[MAX_CANDIDATES][MAX_ROUNDS], ratios[MAX_CANDIDATES][MAX_ROUNDS];
	for (int round = 0; round < rounds; round++) {
		for (int k = 0; k < count; k++) {
			int i = (k + round) % count;
			rates[i][round] = measure(chosen[i], &set, hot, ms);
		}
		for (int i = 0; i < count; i++) ratios[i][round] = rates[i][round] / rates[0][round];
	}
	printf("\n%s, %zu %s copies, %zu slots a side (%zu MiB), source offset %zu, %d rounds of %.0f ms\n",
	       hot ? "hot" : "cold", size % 1024 ? size : size >> 10, size % 1024 ? "B" : "KiB", slots,
	       (slots * set.stride) >> 20, source_offset, rounds, ms);
	printf("  %-22s %8s  %s\n", "candidate", "GB/s", "x memcpy, median (min..max)");
	for (int i = 0; i < count; i++) {
		double low = ratios[i][0], high = ratios[i][0];
		for (int r = 1; r < rounds; r++) {
			if (ratios[i][r] < low) low = ratios[i][r];
			if (ratios[i][r] > high) high = ratios[i][r];
		}
		printf("  %-22s %8.2f  %.3f (%.3f..%.3f)\n", chosen[i]->name, median(rates[i], rounds),
		       median(ratios[i], rounds), low, high);
	}
	fflush(stdout);
	release(&set, source_offset);
	return 0;
}

/* Every candidate copies like memcpy: several lengths, destination and source offsets. */
static int self_check(void) {
	static const size_t lengths[] = {512, 4096 + 1, 65536 - 7, 65536 + 200};
	size_t capacity = 2 * (65536 + 4096);
	char *a = malloc(capacity), *b = malloc(capacity), *e = malloc(capacity);
	if (!a || !b || !e) return -1;
	for (size_t i = 0; i < capacity; i++) a[i] = (char)(i * 131 + 7);
	const struct candidate *lists[] = {hot_candidates, cold_candidates};
	const size_t counts[] = {sizeof(hot_candidates) / sizeof(hot_candidates[0]), sizeof(cold_candidates) / sizeof(cold_candidates[0])};
	for (int l = 0; l < 2; l++)
		for (size_t c = 0; c < counts[l]; c++) {
			const struct candidate *k = &lists[l][c];
			if (!available(k) || k->probe) continue;
			for (size_t n = 0; n < 4; n++)
				for (size_t shift = 0; shift < 64; shift += 9) {
					size_t length = lengths[n];
					size_t half = length / 2;
					memset(b, 0, capacity), memset(e, 0, capacity);
					memcpy(e + shift, a + 3 * shift, length);
					if (k->pairs) {
						/* the two halves as two copies, the odd byte after them */
						nt_x4_pair(b + shift, a + 3 * shift, b + shift + half, a + 3 * shift + half, half);
						memcpy(b + shift + 2 * half, a + 3 * shift + 2 * half, length - 2 * half);
					} else {
						k->copy(b + shift, a + 3 * shift, length, k->arg);
					}
					_mm_sfence();
					if (memcmp(b, e, capacity) != 0) {
						fprintf(stderr, "kernels: %s copied %zu bytes (offset %zu) wrongly\n", k->name, length, shift);
						return -1;
					}
				}
		}
	free(a), free(b), free(e);
	return 0;
}

int main(int argc, char **argv) {
	int hot = 1, cold = 1, rounds = 7;
	double ms = 0;
	size_t source_offset = 0, size = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "hot")) cold = 0;
		else if (!strcmp(argv[i], "cold")) hot = 0;
		else if (!strcmp(argv[i], "all")) hot = cold = 1;
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ms") && i + 1 < argc) ms = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--source-offset") && i + 1 < argc) source_offset = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc) size = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
		else {
			fprintf(stderr, "usage: kernels [hot|cold|all] [--rounds N] [--ms M] [--source-offset B] [--size BYTES] "
			                "[--only NAME,NAME...]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || ms < 0 || source_offset > 4095 || (size != 0 && size < (cold ? 4096 : 64))) {
		fprintf(stderr, "kernels: rounds 1..%d, ms >= 0, source offset 0..4095, size >= 64 (hot), >= 4096 (cold)\n",
		        MAX_ROUNDS);
		return 2;
	}
	detect();
	if (self_check() != 0) return 1;
	printf("kernels: AVX2 %s, AVX-512F %s, last-level cache %zu MiB\n", has_avx2 ? "yes" : "no",
	       has_avx512 ? "yes" : "no", last_level_cache() >> 20);
	const size_t sizes[] = {size ? size : 64 << 10, 256 << 10, 1 << 20};
	for (int i = 0; i < (size ? 1 : 3); i++) {
		if (hot && run(hot_candidates, (int)(sizeof(hot_candidates) / sizeof(hot_candidates[0])), 1, sizes[i], rounds,
		               ms > 0 ? ms : 60, source_offset) != 0) return 1;
		if (cold && run(cold_candidates, (int)(sizeof(cold_candidates) / sizeof(cold_candidates[0])), 0, sizes[i], rounds,
		                ms > 0 ? ms : 120, source_offset) != 0) return 1;
	}
	return 0;
}
