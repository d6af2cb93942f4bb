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
#include <linux/membarrier.h>
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

int dmasync_membarrier_state;

int dmasync_membarrier_register(void) {
	int state = __atomic_load_n(&dmasync_membarrier_state, __ATOMIC_ACQUIRE);
	if (state != 0) return state == 1 ? 0 : state;
	long commands = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (commands < 0) {
		state = -errno;
	} else if (!(commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
		state = -EINVAL;
	} else if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0) {
		state = -errno;
	} else {
		state = 1;
	}
	/* Two threads racing here compute the same answer. */
	__atomic_store_n(&dmasync_membarrier_state, state, __ATOMIC_RELEASE);
	return state == 1 ? 0 : state;
}

int dmasync_membarrier(void) {
	return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0 ? 0 : -errno;
}
