/*
 * DMAHost RDMA backend — a memory monitor over userfaultfd.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * Tells the registration caches when memory they registered stops being the memory mapped at
 * its address: `munmap` (and `mmap(MAP_FIXED)` over it, `shmdt`, a `brk` that shrinks),
 * `mremap` moving it away, and `madvise(MADV_DONTNEED | MADV_FREE | MADV_REMOVE)` dropping its
 * pages. A registration (`ibv_reg_mr`) pins the pages that were mapped when it was made; after
 * any of these, the same virtual address names other pages, and I/O through the old
 * registration would move the wrong bytes.
 *
 * How. One userfaultfd per process with the non-cooperative events `UFFD_EVENT_UNMAP`,
 * `UFFD_EVENT_REMOVE` and `UFFD_EVENT_REMAP`. Ranges are registered in write-protect mode and
 * nothing is ever write-protected, so the monitor never receives or resolves a page fault: it
 * only listens. The kernel makes the thread that unmaps wait until the monitor thread has read
 * the event; the monitor marks itself busy (an odd sequence number) before it reads and
 * publishes the ranges into a log before it is idle again (even). A reader that finds the
 * sequence changed waits while it is odd and then collects the log, so a thread that unmapped
 * memory and then submits I/O on its address always sees its own event first.
 *
 * Deadlock freedom. The monitor thread never allocates and never waits for anything but the
 * log's mutex, whose holders only copy entries (no allocation, no system call): a thread that
 * blocks in `munmap` while holding any other lock cannot stop it.
 *
 * Lifetime. A monitor lives for the rest of the process (plugins are never unloaded). If its
 * thread ever fails, it closes the userfaultfd (which releases any waiting thread), sets
 * `failed` and bumps the sequence: readers must then stop trusting cached registrations.
 */

#ifndef DMAHOST_MEMORY_MONITOR_H
#define DMAHOST_MEMORY_MONITOR_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Events the log keeps; a reader that falls further behind must drop every registration. */
#define DMAHOST_MEMMON_LOG_CAPACITY 1024

/** A range of virtual addresses, `start` (inclusive) to `end` (exclusive). */
struct dmahost_memmon_range {
	uintptr_t start;
	uintptr_t end;
};

/** Event counters (monotonic; read with `dmahost_memmon_counts`). */
struct dmahost_memmon_counts {
	uint64_t unmap;      /**< `UFFD_EVENT_UNMAP`: munmap, MAP_FIXED over it, brk shrink, shmdt. */
	uint64_t remove;     /**< `UFFD_EVENT_REMOVE`: MADV_DONTNEED, MADV_FREE, MADV_REMOVE. */
	uint64_t remap;      /**< `UFFD_EVENT_REMAP`: mremap moved the range. */
	uint64_t unexpected; /**< Any other message (never expected: nothing is write-protected). */
	uint64_t watched;    /**< Successful `dmahost_memmon_watch` calls. */
	uint64_t refused;    /**< `dmahost_memmon_watch` calls the kernel refused. */
};

/** A running monitor. Fields are private to memory_monitor.c except through the functions below. */
struct dmahost_memmon {
	int fd;
	int failed;
	uint64_t features;
	/** Even: idle; odd: reading events that are not published yet. */
	uint64_t sequence;
	pthread_t thread;
	pthread_mutex_t log_lock;
	/** Events appended so far (the log holds the last DMAHOST_MEMMON_LOG_CAPACITY). */
	uint64_t published;
	struct dmahost_memmon_range log[DMAHOST_MEMMON_LOG_CAPACITY];
	struct dmahost_memmon_counts counts;
};

/**
 * Opens a userfaultfd (user-mode-only first, which needs no privilege; then the full kind;
 * then `/dev/userfaultfd`), enables the three events and starts the monitor thread.
 *
 * \param out Receives the monitor on success (never freed).
 * \param reason Receives, on failure, a NUL-terminated sentence saying what failed and what to
 * do; may be NULL.
 * \param reason_size Size of \b reason.
 * \return 0, or a negative errno (-EPERM: userfaultfd not permitted, e.g. by seccomp;
 * -ENOSYS: kernel without userfaultfd; -EINVAL: the kernel lacks one of the events).
 */
int dmahost_memmon_start(struct dmahost_memmon **out, char *reason, size_t reason_size);

/**
 * Watches `[start, start + length)` (page-aligned): from now on its unmapping, moving or
 * dropping is reported. Watching a range twice is harmless.
 *
 * \return 0, or a negative errno from `UFFDIO_REGISTER`: -EINVAL for memory the kernel cannot
 * watch this way (a file mapping other than shmem, device memory such as a dma-buf mapping,
 * an unaligned range), -ENOMEM when part of the range is not mapped, -EBUSY when another
 * userfaultfd of the process watches it, -ESHUTDOWN when the monitor failed.
 */
int dmahost_memmon_watch(struct dmahost_memmon *monitor, uintptr_t start, size_t length);

/**
 * The monitor's sequence number (acquire load): unchanged since a reader's last collect means
 * nothing happened to watched memory since. The one call on the per-operation path.
 */
static inline uint64_t dmahost_memmon_sequence(const struct dmahost_memmon *monitor)
{
	return __atomic_load_n(&monitor->sequence, __ATOMIC_ACQUIRE);
}

/**
 * Copies the events published since \b *cursor into \b out, after waiting until the monitor
 * is not in the middle of reading events.
 *
 * \param cursor In: events already collected by this reader; out: events published now.
 * \param seen Receives the sequence number the result is consistent with.
 * \param out Room for \b capacity ranges (DMAHOST_MEMMON_LOG_CAPACITY is always enough).
 * \param overflowed Receives 1 when events were lost (the reader fell more than the log's
 * capacity behind, or \b capacity was too small, or the monitor failed): the reader must then
 * drop everything it registered. Receives 0 otherwise.
 * \return The number of ranges written to \b out.
 */
size_t dmahost_memmon_collect(struct dmahost_memmon *monitor, uint64_t *cursor, uint64_t *seen,
			      struct dmahost_memmon_range *out, size_t capacity, int *overflowed);

/** Snapshot of the event counters. */
struct dmahost_memmon_counts dmahost_memmon_counts(struct dmahost_memmon *monitor);

/** Nonzero once the monitor thread failed (see the file comment). */
int dmahost_memmon_failed(const struct dmahost_memmon *monitor);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_MEMORY_MONITOR_H */
