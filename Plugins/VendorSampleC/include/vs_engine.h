/*
 * DMAHost vendor sample (C) — a memory-to-memory copy engine.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * One worker thread per engine executes requests from a bounded FIFO queue and calls each
 * request's completion callback exactly once, from the worker. Submitting to a full queue
 * fails with -EAGAIN; the caller retries after completions.
 */
#ifndef VENDOR_SAMPLE_C_ENGINE_H
#define VENDOR_SAMPLE_C_ENGINE_H

#include <pthread.h>
#include <stdint.h>
#include <sys/uio.h>

#include "spdk/dma.h"

/** Engine functions are private to the plugin: only dmahost_driver_entry is exported. */
#define VS_INTERNAL __attribute__((visibility("hidden")))

/** Requests an engine holds at most (queued, not yet completed). */
#define VS_ENGINE_QUEUE_DEPTH 64

/** One queued request. The iovec arrays are the engine's own copies. */
struct vs_request {
	/** Destination segments (for a fill: the buffers to zero). */
	struct iovec *dst;
	uint32_t dst_cnt;
	/** Source segments; NULL for a fill. */
	struct iovec *src;
	uint32_t src_cnt;
	spdk_memory_domain_data_cpl_cb cpl_cb;
	void *cpl_cb_arg;
};

/** A copy engine: a worker thread and its queue, guarded by \b lock. */
struct vs_engine {
	pthread_mutex_t lock;
	/** Signalled when a request is queued or the engine is asked to stop. */
	pthread_cond_t wake;
	pthread_t worker;
	struct vs_request queue[VS_ENGINE_QUEUE_DEPTH];
	/** Index of the oldest request and number of requests (queued + executing). */
	uint32_t head, count;
	/** 1 between vs_engine_start and the end of vs_engine_stop. */
	int running;
	/** 1 once vs_engine_stop asked the worker to finish. */
	int stopping;
	/** Requests completed since start (statistics). */
	uint64_t completed;
};

/** Initialise a stopped engine (lock and condition). Returns 0 or a negated errno. */
VS_INTERNAL int vs_engine_init(struct vs_engine *engine);

/** Stop the engine if running and release its lock and condition. */
VS_INTERNAL void vs_engine_destroy(struct vs_engine *engine);

/** Start the worker thread of an initialised engine (no-op if running). Returns 0 or a negated errno. */
VS_INTERNAL int vs_engine_start(struct vs_engine *engine);

/**
 * Stop accepting requests, let the worker finish every queued request (their completions
 * run), and join it. Safe to call on an engine that is not running. Must not be called from
 * a completion callback (the worker would join itself).
 */
VS_INTERNAL void vs_engine_stop(struct vs_engine *engine);

/**
 * Queue a copy of the bytes of \b src into \b dst. The caller checked the arguments with
 * dmahost_iov_check_copy (dmahost/iovec.h): \b cpl_cb is set, both lists are valid and hold the
 * same number of bytes; their segmentations may differ. The arrays are copied; the buffers
 * must stay valid until \b cpl_cb runs.
 * \return 0 (then \b cpl_cb runs exactly once on the worker), -EAGAIN when the queue is full,
 * -ENOMEM, -ECANCELED when the engine is stopping or stopped.
 */
VS_INTERNAL int vs_engine_submit_copy(struct vs_engine *engine, const struct iovec *dst, uint32_t dst_cnt,
			  const struct iovec *src, uint32_t src_cnt,
			  spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/** Queue filling \b iov with zero bytes. The caller checked the arguments with
 *  dmahost_iov_check_memzero; otherwise the same contract as vs_engine_submit_copy. */
VS_INTERNAL int vs_engine_submit_zero(struct vs_engine *engine, const struct iovec *iov, uint32_t iov_cnt,
			  spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

#endif /* VENDOR_SAMPLE_C_ENGINE_H */
