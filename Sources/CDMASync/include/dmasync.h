/*
 * DMAHost — internal: the kernel and CPU primitives the CPU copy engine and the benchmark
 * build their waiting on. Not installed, not part of any ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef DMAHOST_DMASYNC_H
#define DMAHOST_DMASYNC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * futex(2) FUTEX_WAIT_PRIVATE on \b word: sleeps while `*word == expected`.
 *
 * \param word A 32-bit word shared by the threads of this process, 4-byte aligned.
 * \param expected The value the caller last read; the kernel checks it atomically.
 * \param timeout_ns Relative timeout in nanoseconds; negative for none.
 * \return 0 when woken, or a negated errno: -EAGAIN (`*word != expected` on entry),
 * -ETIMEDOUT, -EINTR (a signal arrived). Nothing else is expected.
 */
int dmasync_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);

/**
 * futex(2) FUTEX_WAKE_PRIVATE on \b word.
 *
 * \param word The word sleepers wait on.
 * \param count How many sleepers to wake at most (INT32_MAX for all).
 * \return The number woken, or a negated errno.
 */
int dmasync_futex_wake(uint32_t *word, int32_t count);

/** Hint to the CPU that the caller is spinning (x86 `pause`, Arm `yield`). */
static inline void dmasync_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/**
 * pthread_setname_np(pthread_self(), name): names the calling thread (shown by top, gdb, perf).
 *
 * \param name Up to 15 bytes are used.
 * \return 0 or a positive errno.
 */
int dmasync_set_thread_name(const char *name);

/** CLOCK_MONOTONIC in nanoseconds (vDSO, no system call on Linux). */
uint64_t dmasync_now_ns(void);

/**
 * Adds \b delta to the calling thread's nesting counter and returns the new value.
 *
 * The benchmark resubmits from completion callbacks; a device that completes inside the
 * submitting call would recurse without bound. The counter (thread-local, starts at 0) tells
 * the callback how deep it is.
 */
int32_t dmasync_thread_nesting_add(int32_t delta);

/**
 * Registers the process for dmasync_membarrier() (membarrier(2)
 * MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED), once; later calls return the first result.
 *
 * \return 0 when dmasync_membarrier() is available, else a negated errno (-ENOSYS: kernel
 * without membarrier or a seccomp filter that refuses it; -EINVAL: no private expedited
 * command). Thread-safe.
 */
int dmasync_membarrier_register(void);

/**
 * membarrier(2) MEMBARRIER_CMD_PRIVATE_EXPEDITED: when it returns, every thread of the process
 * that was running has passed a full memory barrier since the call began. The slow side of an
 * asymmetric handshake, whose fast side then needs only a compiler barrier between its store
 * and its load. Only after dmasync_membarrier_register() returned 0.
 *
 * \return 0, or a negated errno.
 */
int dmasync_membarrier(void);

/** 0: dmasync_membarrier_register() not called yet; 1: registered; a negated errno: unavailable. */
extern int dmasync_membarrier_state;

/** 1 once dmasync_membarrier_register() succeeded, else 0 (one load). */
static inline int dmasync_membarrier_ready(void) {
	return __atomic_load_n(&dmasync_membarrier_state, __ATOMIC_RELAXED) == 1;
}

/** Keeps the compiler from moving memory accesses across this point (no instruction). */
static inline void dmasync_compiler_barrier(void) {
	__asm__ __volatile__("" ::: "memory");
}

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_DMASYNC_H */
