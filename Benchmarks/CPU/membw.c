/*
 * DMAHost — memcpy throughput of one process over a cold working set, for checking the
 * benchmark's multi-thread ceiling against separate processes:
 *
 *   membw <size bytes> <seconds> [<start>]
 *
 * Maps a working set of slots of <size> bytes (page-aligned) covering twice the last-level
 * cache per side (sysfs, else 32 MiB), as dmactl bench plans a cold one, touches it, makes one
 * unmeasured pass, then copies slot after slot for <seconds> and prints GB/s (10^9 bytes/s).
 * With <start> (seconds since the epoch, CLOCK_REALTIME), the measured copying begins at that
 * moment, so that processes started together measure the same window: each one's setup ends
 * at a different time, and a process measuring while the other still sets up would count
 * bandwidth it did not share. run.sh starts one alone and then two at once: two processes
 * share nothing but the memory, and their sum is a ceiling for two threads.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "last_level_cache.h"

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: membw <size bytes> <seconds> [<start: seconds since the epoch>]\n");
		return 2;
	}
	size_t size = strtoul(argv[1], NULL, 10);
	double seconds = strtod(argv[2], NULL);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (size == 0 || seconds <= 0) return 2;
	size_t stride = (size + page - 1) / page * page;
	size_t slots = (2 * last_level_cache() + stride - 1) / stride;
	size_t side = slots * stride;
	char *memory = mmap(NULL, 2 * side, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (memory == MAP_FAILED) return 2;
	char *source = memory, *destination = memory + side;
	memset(source, 0x5a, side);
	memset(destination, 0, side);
	for (size_t slot = 0; slot < slots; slot++) memcpy(destination + slot * stride, source + slot * stride, size);
	if (argc == 4) {
		double at = strtod(argv[3], NULL);
		struct timespec start_at = { .tv_sec = (time_t)at, .tv_nsec = (long)((at - (double)(time_t)at) * 1e9) };
		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &start_at, NULL) != 0) {
		}
	}
	size_t batch = size >= (256 << 10) ? 1 : (256 << 10) / size;
	size_t operations = 0, slot = 0;
	double start = now(), elapsed = 0;
	while (elapsed < seconds) {
		for (size_t i = 0; i < batch; i++) {
			memcpy(destination + slot * stride, source + slot * stride, size);
			if (++slot == slots) slot = 0;
		}
		operations += batch;
		elapsed = now() - start;
	}
	printf("%.3f\n", (double)operations * (double)size / elapsed / 1e9);
	return 0;
}
