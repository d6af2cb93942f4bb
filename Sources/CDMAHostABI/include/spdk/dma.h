/*
 * DMAHost — SPDK-compatible DMA device framework ("memory domains").
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * Memory domains: address spaces that a DMA-capable device can reach.
 *
 * This header declares the same functions, types, enum values and macros, with the
 * same signatures and LP64 layouts, as SPDK's `spdk/dma.h`, so C code written
 * against SPDK compiles and links unchanged against `libDMAHost.so`.
 *
 * A memory domain carries a device type, an optional device id string, an optional
 * copied context and up to six callbacks (translate, invalidate, pull, push,
 * transfer, memzero). The library keeps every domain in one registry in creation
 * order; the system domain (plain host memory, id "system") is always first.
 *
 * Threading: every function may be called from any thread. The registry is
 * protected by a lock; callbacks are invoked with no library lock held, on the
 * caller's thread, so a callback may call back into the library. Completion
 * callbacks (`spdk_memory_domain_data_cpl_cb`) are invoked by the domain's
 * implementation on a thread of its choosing, and only when the operation
 * returned 0. The library itself never invokes a completion callback.
 *
 * Setting a callback while another thread dispatches through the same domain is
 * not synchronised (as in SPDK): set callbacks before publishing a domain.
 *
 * Walking while other threads destroy: a destroyed domain is not freed at once. It stays
 * allocated, unchanged except that its callbacks are cleared, for the next 1024 destroys in
 * the process (its quarantine), so that a thread that obtained the pointer before the destroy
 * can finish with it: see \ref spdk_memory_domain_destroy for what it may still do, and
 * \ref spdk_memory_domain_get_next for continuing a walk from it.
 *
 * Arguments: DMAHost enforces one contract on the iovec lists of pull, push, transfer and
 * memzero, and on the arguments of translate, in every domain it ships (the system domain
 * and every backend): `dmahost/iovec.h` documents it and implements the checks. In short,
 * each list must describe 1 ... SSIZE_MAX bytes through valid entries, and both sides of a
 * copy the same number of bytes; a completion with 0 means every described byte moved.
 */

#ifndef SPDK_DMA_H
#define SPDK_DMA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Device id string under which SPDK's own RDMA memory domains are registered. */
#define SPDK_RDMA_DMA_DEVICE "SPDK_RDMA_DMA_DEVICE"

/** Kind of device that can access a memory domain. */
enum spdk_dma_device_type {
	/** RDMA device: memory is reached through a protection domain, lkey/rkey and a virtual address. */
	SPDK_DMA_DEVICE_TYPE_RDMA,
	/** DMA device: memory is reached through physical or I/O virtual addresses. */
	SPDK_DMA_DEVICE_TYPE_DMA,
	/** Virtual domain of memory that an acceleration engine is transforming. */
	SPDK_DMA_DEVICE_TYPE_ACCEL,
	/** First value of the range reserved for vendor-defined device types. */
	SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START = 1000,
	/** Last value (inclusive) of the vendor-defined range. */
	SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END = SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 999
};

/** Opaque memory domain. Owned by the library; created and destroyed through this API. */
struct spdk_memory_domain;

/**
 * Completion of an asynchronous pull, push, transfer or memzero.
 *
 * \param ctx The `cpl_cb_arg` given when the operation was started.
 * \param rc 0 when the data was moved, a negated errno otherwise.
 */
typedef void (*spdk_memory_domain_data_cpl_cb)(void *ctx, int rc);

/**
 * Domain callback: start copying data out of \b src_domain into local (system) memory.
 *
 * Must call \b cpl_cb exactly once if, and only if, it returns 0.
 *
 * \param src_domain Domain whose address space \b src_iov is expressed in.
 * \param src_domain_ctx Opaque per-request context from the caller.
 * \param src_iov Source buffers in \b src_domain space.
 * \param src_iovcnt Number of entries in \b src_iov.
 * \param dst_iov Destination buffers in local memory, allocated by the caller; their
 * total length equals the total length of \b src_iov (`dmahost/iovec.h`).
 * \param dst_iovcnt Number of entries in \b dst_iov.
 * \param cpl_cb Completion callback.
 * \param cpl_cb_arg Argument for \b cpl_cb.
 * \return 0 when started, a negated errno otherwise.
 */
typedef int (*spdk_memory_domain_pull_data_cb)(struct spdk_memory_domain *src_domain,
		void *src_domain_ctx,
		struct iovec *src_iov, uint32_t src_iovcnt, struct iovec *dst_iov, uint32_t dst_iovcnt,
		spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/**
 * Domain callback: start copying data from local (system) memory into \b dst_domain.
 *
 * Must call \b cpl_cb exactly once if, and only if, it returns 0.
 *
 * \param dst_domain Domain whose address space \b dst_iov is expressed in.
 * \param dst_domain_ctx Opaque per-request context from the caller.
 * \param dst_iov Destination buffers in \b dst_domain space.
 * \param dst_iovcnt Number of entries in \b dst_iov.
 * \param src_iov Source buffers in local memory.
 * \param src_iovcnt Number of entries in \b src_iov.
 * \param cpl_cb Completion callback.
 * \param cpl_cb_arg Argument for \b cpl_cb.
 * \return 0 when started, a negated errno otherwise.
 */
typedef int (*spdk_memory_domain_push_data_cb)(struct spdk_memory_domain *dst_domain,
		void *dst_domain_ctx,
		struct iovec *dst_iov, uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt,
		spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/**
 * Domain callback: start filling buffers of \b domain with zero bytes.
 *
 * Must call \b cpl_cb exactly once if, and only if, it returns 0.
 *
 * \param domain Domain whose address space \b iov is expressed in.
 * \param domain_ctx Opaque per-request context from the caller.
 * \param iov Buffers to zero.
 * \param iovcnt Number of entries in \b iov.
 * \param cpl_cb Completion callback.
 * \param cpl_cb_arg Argument for \b cpl_cb.
 * \return 0 when started, a negated errno otherwise.
 */
typedef int (*spdk_memory_domain_memzero_cb)(struct spdk_memory_domain *domain, void *domain_ctx,
		struct iovec *iov, uint32_t iovcnt, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/**
 * Result of a translation: how the destination domain sees a source buffer.
 * Size-prefixed: the caller sets \b size to `sizeof(struct spdk_memory_domain_translation_result)`.
 */
struct spdk_memory_domain_translation_result {
	/** Size of this structure in bytes, set by the caller. */
	size_t size;
	/** Number of address/length pairs the translation produced. */
	uint32_t iov_count;
	/** The single address/length pair; valid when \b iov_count is 1. */
	struct iovec iov;
	/** The pairs when \b iov_count is greater than 1. The array is owned by the translating
	 *  domain and stays valid until the request that needed it completes. */
	struct iovec *iovs;
	/** The destination domain the translation was made for. */
	struct spdk_memory_domain *dst_domain;
	union {
		/** Keys for an RDMA destination domain. */
		struct {
			/** Local key, for work requests posted by this side. */
			uint32_t lkey;
			/** Remote key, for a peer's RDMA READ/WRITE. */
			uint32_t rkey;
		} rdma;
	};
};

/**
 * Ancillary data about the destination of a translation.
 * Size-prefixed: the caller sets \b size to `sizeof(struct spdk_memory_domain_translation_ctx)`.
 */
struct spdk_memory_domain_translation_ctx {
	/** Size of this structure in bytes, set by the caller. */
	size_t size;
	union {
		/** RDMA destination. */
		struct {
			/** The `struct ibv_qp *` the translated buffer will be used with (opaque). */
			void *ibv_qp;
		} rdma;
	};
};

/**
 * Domain callback: start moving data from \b src_domain directly into \b dst_domain.
 *
 * Must call \b cpl_cb exactly once if, and only if, it returns 0.
 *
 * \param dst_domain Domain whose address space \b dst_iov is expressed in.
 * \param dst_domain_ctx Opaque per-request context for the destination.
 * \param dst_iov Destination buffers in \b dst_domain space.
 * \param dst_iovcnt Number of entries in \b dst_iov.
 * \param src_domain Domain whose address space \b src_iov is expressed in.
 * \param src_domain_ctx Opaque per-request context for the source.
 * \param src_iov Source buffers.
 * \param src_iovcnt Number of entries in \b src_iov.
 * \param src_translation Optional translation of the source into \b dst_domain (may be NULL).
 * \param cpl_cb Completion callback.
 * \param cpl_cb_arg Argument for \b cpl_cb.
 * \return 0 when started, a negated errno otherwise.
 */
typedef int (*spdk_memory_domain_transfer_data_cb)(struct spdk_memory_domain *dst_domain,
		void *dst_domain_ctx,
		struct iovec *dst_iov, uint32_t dst_iovcnt,
		struct spdk_memory_domain *src_domain, void *src_domain_ctx,
		struct iovec *src_iov, uint32_t src_iovcnt,
		struct spdk_memory_domain_translation_result *src_translation,
		spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/**
 * Domain callback: describe a buffer of \b src_domain in the terms of \b dst_domain.
 * No data moves; the call is synchronous.
 *
 * \param src_domain Domain whose address space \b addr is expressed in.
 * \param src_domain_ctx Opaque per-request context from the caller.
 * \param dst_domain Domain the description is for; its type decides the form of \b result.
 * \param dst_domain_ctx Ancillary data about the destination (may be NULL).
 * \param addr Start of the buffer in \b src_domain space.
 * \param len Length of the buffer in bytes.
 * \param result Filled in on success.
 * \return 0 on success, a negated errno otherwise.
 */
typedef int (*spdk_memory_domain_translate_memory_cb)(struct spdk_memory_domain *src_domain,
		void *src_domain_ctx, struct spdk_memory_domain *dst_domain,
		struct spdk_memory_domain_translation_ctx *dst_domain_ctx, void *addr, size_t len,
		struct spdk_memory_domain_translation_result *result);

/**
 * Domain callback: drop whatever the domain cached for these buffers (for example
 * memory registrations made by an earlier translation).
 *
 * \param domain Domain whose address space \b iov is expressed in.
 * \param domain_ctx Opaque per-request context from the caller.
 * \param iov Buffers to invalidate.
 * \param iovcnt Number of entries in \b iov.
 */
typedef void (*spdk_memory_domain_invalidate_data_cb)(struct spdk_memory_domain *domain,
		void *domain_ctx, struct iovec *iov, uint32_t iovcnt);

/** User context of an RDMA domain (what `spdk_memory_domain_ctx.user_ctx` points to). */
struct spdk_memory_domain_rdma_ctx {
	/** Size of this structure in bytes. */
	size_t size;
	/** The `struct ibv_pd *` whose registrations the domain's keys belong to (opaque). */
	void *ibv_pd;
};

/**
 * Context given to \ref spdk_memory_domain_create. The library copies it.
 * Size-prefixed: set \b size to `sizeof(struct spdk_memory_domain_ctx)`.
 */
struct spdk_memory_domain_ctx {
	/** Size of this structure in bytes; must not be 0. */
	size_t size;
	/** Optional user context; for an RDMA domain a `struct spdk_memory_domain_rdma_ctx`.
	 *  The \b user_ctx_size bytes it points to are copied at creation. */
	void *user_ctx;
	/** Size in bytes of what \b user_ctx points to. */
	size_t user_ctx_size;
};

/**
 * Create a memory domain and append it to the registry.
 *
 * \param domain Receives the new domain. Not written on failure.
 * \param type Device type; stored as given.
 * \param ctx Optional context. The first `min(sizeof(*ctx), ctx->size)` bytes are copied into a
 * library-owned context (whose \b size is that number); when \b ctx->user_ctx is not NULL,
 * \b ctx->size covers \b user_ctx_size and \b user_ctx_size is not 0, the \b user_ctx_size
 * bytes it points to are copied too (the domain's user context).
 * \param id Optional device id string, copied. Several domains may share an id.
 * \return 0 on success; -EINVAL if \b domain is NULL or \b ctx->size is 0; -ENOMEM when memory
 * for the copies cannot be allocated.
 */
int spdk_memory_domain_create(struct spdk_memory_domain **domain, enum spdk_dma_device_type type,
			      struct spdk_memory_domain_ctx *ctx, const char *id);

/**
 * Set (or, with NULL, clear) the translation callback of \b domain. Does nothing if \b domain is NULL or the system domain.
 *
 * \param domain Memory domain.
 * \param translate_cb New callback.
 */
void spdk_memory_domain_set_translation(struct spdk_memory_domain *domain,
					spdk_memory_domain_translate_memory_cb translate_cb);

/**
 * Set (or, with NULL, clear) the invalidate callback of \b domain. Does nothing if \b domain is NULL or the system domain.
 *
 * \param domain Memory domain.
 * \param invalidate_cb New callback.
 */
void spdk_memory_domain_set_invalidate(struct spdk_memory_domain *domain,
				       spdk_memory_domain_invalidate_data_cb invalidate_cb);

/**
 * Set (or, with NULL, clear) the pull callback of \b domain. Does nothing if \b domain is NULL or the system domain.
 *
 * \param domain Memory domain.
 * \param pull_cb New callback.
 */
void spdk_memory_domain_set_pull(struct spdk_memory_domain *domain,
				 spdk_memory_domain_pull_data_cb pull_cb);

/**
 * Set (or, with NULL, clear) the push callback of \b domain. Does nothing if \b domain is NULL or the system domain.
 *
 * \param domain Memory domain.
 * \param push_cb New callback.
 */
void spdk_memory_domain_set_push(struct spdk_memory_domain *domain,
				 spdk_memory_domain_push_data_cb push_cb);

/**
 * Set (or, with NULL, clear) the transfer callback of \b domain. Does nothing if \b domain is NULL or the system domain.
 *
 * \param domain Memory domain.
 * \param transfer_cb New callback.
 */
void spdk_memory_domain_set_data_transfer(struct spdk_memory_domain *domain,
		spdk_memory_domain_transfer_data_cb transfer_cb);

/**
 * Set (or, with NULL, clear) the memzero callback of \b domain. Does nothing if \b domain is NULL or the system domain.
 *
 * \param domain Memory domain.
 * \param memzero_cb New callback.
 */
void spdk_memory_domain_set_memzero(struct spdk_memory_domain *domain,
				    spdk_memory_domain_memzero_cb memzero_cb);

/**
 * The library's copy of the context given at creation.
 *
 * \param domain Memory domain.
 * \return The copy (owned by the library, valid until the domain is destroyed), or NULL when the
 * domain was created without a context. Never the caller's original pointer.
 */
struct spdk_memory_domain_ctx *spdk_memory_domain_get_context(struct spdk_memory_domain *domain);

/**
 * The library's copy of the user context given at creation.
 *
 * \param domain Memory domain.
 * \param ctx_size Receives the size of the user context; not written when there is none. Must not be NULL.
 * \return The copy (owned by the library, valid until the domain is destroyed), or NULL when the
 * domain has no user context: none was given, or it was given with \b user_ctx_size 0.
 */
void *spdk_memory_domain_get_user_context(struct spdk_memory_domain *domain, size_t *ctx_size);

/**
 * \param domain Memory domain.
 * \return The device type given at creation.
 */
enum spdk_dma_device_type spdk_memory_domain_get_dma_device_type(struct spdk_memory_domain *domain);

/**
 * \param domain Memory domain.
 * \return The library's copy of the device id, or NULL when the domain has none.
 */
const char *spdk_memory_domain_get_dma_device_id(struct spdk_memory_domain *domain);

/**
 * Remove \b domain from the registry and destroy it.
 *
 * NULL is ignored. The system domain is never destroyed; neither is a domain that was already
 * destroyed, nor a pointer that is not a domain (each such call is refused and logged, and
 * frees nothing). The caller guarantees no operation on the domain is still in flight.
 *
 * The domain and its copies (id, context, user context) are freed later, when the domain
 * leaves its quarantine: after 1024 more destroys in the process. Until then another thread
 * that obtained the pointer before the destroy may still
 * - read it: \ref spdk_memory_domain_get_dma_device_type, \ref spdk_memory_domain_get_dma_device_id,
 *   \ref spdk_memory_domain_get_context and \ref spdk_memory_domain_get_user_context return what
 *   they returned before, and the strings and contexts they return stay valid;
 * - dispatch through it: pull, push, transfer, translate and memzero return -ENOTSUP and
 *   invalidate does nothing (its callbacks are cleared).
 * After the quarantine these functions must not be given the pointer.
 *
 * \ref spdk_memory_domain_get_next, this function and the callback setters never dereference a
 * pointer that is not a registered domain, so they may be given a destroyed pointer at any
 * time: get_next continues the walk from it (for the next 16384 destroys), the others ignore it.
 * Once its memory is freed, though, a new domain may be created at the same address, and these
 * functions then apply to the new domain.
 *
 * \param domain Memory domain.
 */
void spdk_memory_domain_destroy(struct spdk_memory_domain *domain);

/**
 * Start copying data out of \b src_domain into local memory through the source domain's pull callback.
 * Arguments are passed through untouched and the callback's return value is returned unchanged.
 *
 * \param src_domain Domain of the source buffers.
 * \param src_domain_ctx Opaque per-request context.
 * \param src_iov Source buffers.
 * \param src_iov_cnt Number of entries in \b src_iov.
 * \param dst_iov Destination buffers in local memory.
 * \param dst_iov_cnt Number of entries in \b dst_iov.
 * \param cpl_cb Completion callback, invoked only when 0 is returned.
 * \param cpl_cb_arg Argument for \b cpl_cb.
 * \return 0 when started; -ENOTSUP when the domain has no pull callback; otherwise a negated errno.
 * DMAHost enforces the iovec contract of `dmahost/iovec.h` in every domain it ships: -EINVAL
 * for a NULL \b cpl_cb, a NULL array with entries, an entry or total above SSIZE_MAX, a list of
 * 0 bytes, or source and destination totals that differ; -EFAULT for an entry with a length and
 * a NULL base, or that wraps past the end of the address space. The source list is \b src_iov.
 */
int spdk_memory_domain_pull_data(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
				 struct iovec *src_iov, uint32_t src_iov_cnt, struct iovec *dst_iov, uint32_t dst_iov_cnt,
				 spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/**
 * Start copying data from local memory into \b dst_domain through the destination domain's push callback.
 * Arguments are passed through untouched and the callback's return value is returned unchanged.
 *
 * \param dst_domain Domain of the destination buffers.
 * \param dst_domain_ctx Opaque per-request context.
 * \param dst_iov Destination buffers.
 * \param dst_iovcnt Number of entries in \b dst_iov.
 * \param src_iov Source buffers in local memory.
 * \param src_iovcnt Number of entries in \b src_iov.
 * \param cpl_cb Completion callback, invoked only when 0 is returned.
 * \param cpl_cb_arg Argument for \b cpl_cb.
 * \return 0 when started; -ENOTSUP when the domain has no push callback; otherwise a negated errno.
 * DMAHost enforces the iovec contract of `dmahost/iovec.h` in every domain it ships (see
 * \ref spdk_memory_domain_pull_data); the source list is the local \b src_iov.
 */
int spdk_memory_domain_push_data(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
				 struct iovec *dst_iov, uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt,
				 spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/**
 * Start moving data from \b src_domain into \b dst_domain through the destination domain's transfer callback.
 * Arguments are passed through untouched and the callback's return value is returned unchanged.
 *
 * \param dst_domain Domain of the destination buffers.
 * \param dst_domain_ctx Opaque per-request context for the destination.
 * \param dst_iov Destination buffers.
 * \param dst_iovcnt Number of entries in \b dst_iov.
 * \param src_domain Domain of the source buffers.
 * \param src_domain_ctx Opaque per-request context for the source.
 * \param src_iov Source buffers.
 * \param src_iovcnt Number of entries in \b src_iov.
 * \param src_translation Optional translation of the source into \b dst_domain.
 * \param cpl_cb Completion callback, invoked only when 0 is returned.
 * \param cpl_cb_arg Argument for \b cpl_cb.
 * \return 0 when started; -ENOTSUP when the destination has no transfer callback; otherwise a negated errno.
 * DMAHost enforces the iovec contract of `dmahost/iovec.h` in every domain it ships (see
 * \ref spdk_memory_domain_pull_data) on \b src_iov (source) and \b dst_iov (destination).
 */
int spdk_memory_domain_transfer_data(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
				     struct iovec *dst_iov, uint32_t dst_iovcnt,
				     struct spdk_memory_domain *src_domain, void *src_domain_ctx,
				     struct iovec *src_iov, uint32_t src_iovcnt,
				     struct spdk_memory_domain_translation_result *src_translation,
				     spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/**
 * Describe a buffer of \b src_domain in the terms of \b dst_domain through the source domain's
 * translation callback. Synchronous; no data moves.
 *
 * \param src_domain Domain whose address space \b addr is expressed in.
 * \param src_domain_ctx Opaque per-request context.
 * \param dst_domain Destination domain.
 * \param dst_domain_ctx Ancillary destination data (may be NULL).
 * \param addr Buffer start in \b src_domain space.
 * \param len Buffer length.
 * \param result Filled in by the callback; valid only when 0 is returned.
 * \return 0 on success; -ENOTSUP when the source has no translation callback; otherwise a negated errno.
 * DMAHost enforces the arguments contract of `dmahost/iovec.h` in every domain it ships:
 * -EINVAL for a NULL \b result, a \b result->size below `sizeof(*result)`, a \b len of 0 or
 * above SSIZE_MAX; -EFAULT for a NULL \b addr or a range that wraps past the end of the
 * address space.
 */
int spdk_memory_domain_translate_data(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
				      struct spdk_memory_domain *dst_domain, struct spdk_memory_domain_translation_ctx *dst_domain_ctx,
				      void *addr, size_t len, struct spdk_memory_domain_translation_result *result);

/**
 * Ask \b domain to drop what it cached for these buffers, through its invalidate callback.
 * Does nothing when the domain has no invalidate callback.
 *
 * \param domain Memory domain.
 * \param domain_ctx Opaque per-request context.
 * \param iov Buffers to invalidate.
 * \param iovcnt Number of entries in \b iov.
 */
void spdk_memory_domain_invalidate_data(struct spdk_memory_domain *domain, void *domain_ctx,
					struct iovec *iov, uint32_t iovcnt);

/**
 * Start zeroing buffers of \b domain through its memzero callback.
 * Arguments are passed through untouched and the callback's return value is returned unchanged.
 *
 * \param domain Memory domain.
 * \param domain_ctx Opaque per-request context.
 * \param iov Buffers to zero.
 * \param iovcnt Number of entries in \b iov.
 * \param cpl_cb Completion callback, invoked only when 0 is returned.
 * \param cpl_cb_arg Argument for \b cpl_cb.
 * \return 0 when started; -ENOTSUP when the domain has no memzero callback; otherwise a negated errno.
 * DMAHost enforces the iovec contract of `dmahost/iovec.h` in every domain it ships (see
 * \ref spdk_memory_domain_pull_data); \b iov is the destination list.
 */
int spdk_memory_domain_memzero(struct spdk_memory_domain *domain, void *domain_ctx,
			       struct iovec *iov, uint32_t iovcnt, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/**
 * First domain of the registry, in creation order.
 *
 * DMAHost finds a domain by id through an index: the cost of a call does not grow with the
 * number of domains, and neither does that of \ref spdk_memory_domain_get_next from a domain
 * with that id (from any other domain, it grows with the number of domains sharing the id).
 *
 * \param id When not NULL, the first domain whose id equals \b id exactly (case-sensitive);
 * domains without an id never match.
 * \return The domain, or NULL when there is none.
 */
struct spdk_memory_domain *spdk_memory_domain_get_first(const char *id);

/**
 * Domain after \b prev in creation order.
 *
 * \b prev is looked up before it is used, so a walk survives other threads destroying domains:
 * get_next on a destroyed domain returns the first domain created after it that still exists
 * (its successor at destruction or a later one), or NULL.
 *
 * \param prev A domain of this registry (it need not match \b id), possibly destroyed since
 * it was obtained: the library recognises a destroyed domain for the next 16384 destroys in
 * the process. NULL gives NULL.
 * \param id When not NULL, the next domain whose id equals \b id exactly.
 * \return The domain, or NULL at the end of the registry. NULL too, with a logged warning, when
 * \b prev is not a domain the library knows (never created, or destroyed longer ago).
 */
struct spdk_memory_domain *spdk_memory_domain_get_next(struct spdk_memory_domain *prev,
		const char *id);

/**
 * The system memory domain: plain host memory, type \ref SPDK_DMA_DEVICE_TYPE_DMA, id "system".
 * It exists from library load time, is first in the registry and is always the same pointer.
 * Its data operations and translation check their arguments like every domain's
 * (`dmahost/iovec.h`: -EINVAL or -EFAULT for bad ones) and otherwise return -ENOTSUP; its
 * invalidate does nothing. Setting its callbacks is refused (and logged), so that nothing can
 * take over plain host memory.
 *
 * \return The system domain.
 */
struct spdk_memory_domain *spdk_memory_domain_get_system_domain(void);

/**
 * Name of a device type, for messages and logs.
 *
 * \param type Any value, named or not.
 * \return A static string (never NULL, never to be freed): "RDMA", "DMA" or "ACCEL" for the
 * built-in types, "VENDOR_SPECIFIC" for \ref SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START to
 * \ref SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END inclusive, "UNKNOWN" for any other value.
 */
const char *spdk_dma_device_type_get_name(enum spdk_dma_device_type type);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_DMA_H */
