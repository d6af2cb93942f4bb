/*
 * DMAHost — futex(2) and clock wrappers (see include/dmasync.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */
#define _GNU_SOURCE
#include "dmasync.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int dmasync_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
	struct timespec timeout;
	struct timespec *timeout_ptr = NULL;
	if (timeout_ns >= 0) {
		timeout.tv_sec = (time_t)(timeout_ns / 1000000000);
		timeout.tv_nsec = (long)(timeout_ns % 1000000000);
		timeout_ptr = &timeout;
	}
	long rc = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout_ptr, NULL, 0);
	return rc == -1 ? -errno : 0;
}

int dmasync_futex_wake(uint32_t *word, int32_t count) {
	long rc = syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
	return rc == -1 ? -errno : (int)rc;
}

uint64_t dmasync_now_ns(void) {
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int dmasync_set_thread_name(const char *name) {
	char truncated[16];
	strncpy(truncated, name, sizeof(truncated) - 1);
	truncated[sizeof(truncated) - 1] = 0;
	return pthread_setname_np(pthread_self(), truncated);
}

/* initial-exec: one load from the thread pointer, no __tls_get_addr call (read on every
   completion a benchmark callback handles). */
static _Thread_local int32_t thread_nesting __attribute__((tls_model("initial-exec")));

int32_t dmasync_thread_nesting_add(int32_t delta) {
	thread_nesting += delta;
	return thread_nesting;
}
