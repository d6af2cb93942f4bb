/*
 * DMAHost — the CPU accel backend's domain user context.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * What the user context of a CPU accel domain (`spdk_memory_domain_get_user_context` of a
 * domain with id "cpu:N", type SPDK_DMA_DEVICE_TYPE_ACCEL) holds.
 *
 * The CPU backend runs its copies on worker threads. In the default completion mode
 * ("worker"), completion callbacks run on those threads and nothing else is needed. In poll
 * mode (`DMAHOST_CPU_COMPLETION=poll` when the device is opened), callbacks run only inside
 * \ref dmahost_cpu_domain_ctx.poll, on the thread that calls it, as with SPDK's pollers:
 * a user finds the function here and calls it from its submitting thread(s).
 *
 * The structure is written by the plugin when it opens the device; the host keeps a copy for
 * the life of the domain. Check \b size and \b magic before reading further. The user context
 * may be longer than the structure (the plugin keeps private bytes after it): its size is at
 * least \b size, not necessarily equal to it.
 */

#ifndef DMAHOST_CPU_ACCEL_H
#define DMAHOST_CPU_ACCEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** \ref dmahost_cpu_domain_ctx.magic: the bytes "CPUA" read as a little-endian word. */
#define DMAHOST_CPU_DOMAIN_MAGIC 0x41555043u

/** \ref dmahost_cpu_domain_ctx.completion_mode values. */
enum dmahost_cpu_completion_mode {
	/** Callbacks run on the engine's worker threads. */
	DMAHOST_CPU_COMPLETION_WORKER = 0,
	/** Callbacks run inside \ref dmahost_cpu_domain_ctx.poll. */
	DMAHOST_CPU_COMPLETION_POLL = 1
};

/** User context of a CPU accel domain. Size-prefixed; fields are only appended. */
struct dmahost_cpu_domain_ctx {
	/** sizeof(struct dmahost_cpu_domain_ctx) as compiled by the plugin. */
	size_t size;
	/** \ref DMAHOST_CPU_DOMAIN_MAGIC. */
	uint32_t magic;
	/** A \ref dmahost_cpu_completion_mode value. */
	uint32_t completion_mode;
	/** Number of worker threads of the domain's engine. */
	uint32_t workers;
	/** Descriptors in the engine's ring (operations in flight at most; large ones use one per part). */
	uint32_t queue_depth;
	/** The engine (opaque, owned by the plugin; valid until the device is closed). */
	void *engine;
	/**
	 * Deliver finished completions on the calling thread (poll mode), in submission order.
	 * Any thread may call it, concurrently; does nothing in worker mode.
	 *
	 * \param engine \ref engine.
	 * \param max_completions Most callbacks to invoke.
	 * \return The number of callbacks invoked.
	 */
	uint32_t (*poll)(void *engine, uint32_t max_completions);
};

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_CPU_ACCEL_H */
