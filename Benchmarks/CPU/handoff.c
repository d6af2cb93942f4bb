/*
 * DMAHost — what the machine allows right now: the round trip of a flag between two threads
 * spinning on it (no library involved), median of 5 runs of 20000 round trips. run.sh prints
 * it next to the CPU pressure so that a run on a busy machine is recognisable: a device whose
 * every operation is a thread hand-off cannot be faster than this.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ROUNDS = 20000, RUNS = 5 };
static _Atomic long flag;

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *partner(void *arg) {
	(void)arg;
	for (long i = 0; i < ROUNDS; i++) {
		while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 1) {}
		atomic_store_explicit(&flag, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

static int compare(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void) {
	double results[RUNS];
	for (int run = 0; run < RUNS; run++) {
		atomic_store(&flag, 0);
		pthread_t thread;
		if (pthread_create(&thread, NULL, partner, NULL) != 0) return 2;
		double start = now();
		for (long i = 0; i < ROUNDS; i++) {
			atomic_store_explicit(&flag, 2 * i + 1, memory_order_release);
			while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 2) {}
		}
		results[run] = (now() - start) / ROUNDS * 1e9;
		pthread_join(thread, NULL);
	}
	qsort(results, RUNS, sizeof(double), compare);
	printf("%.0f\n", results[RUNS / 2]);
	return 0;
}
