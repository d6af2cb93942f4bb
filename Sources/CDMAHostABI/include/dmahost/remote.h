/*
 * DMAHost — remote memory domains (DMAHost extension to spdk/dma.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * Remote memory domains: memory that another host exposes, reached over a network transport.
 *
 * The UCX backend (`libdmahost-ucx.so`, driver name "ucx") creates one memory domain per
 * configured peer, each with the id "ucx:HOST:PORT" (the device id too) and of the vendor type
 * 1100 (`SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 100`). The peer is a server (`dmactl serve`) that exposes one region
 * of its memory.
 *
 * \section addr Address space
 * An address in a remote domain is an address of the server's process, inside the region it
 * exposes: [\ref dmahost_remote_domain_ctx.base, base + \ref dmahost_remote_domain_ctx.length).
 * Such an address is never dereferenced locally. Every non-empty iovec entry a pull, push,
 * memzero or transfer gives for the remote side must lie inside that range; otherwise the
 * operation is refused with -EFAULT before anything is sent. Writes (push, memzero, transfer
 * into the domain) to a region the server exposes read-only are refused with -EACCES.
 *
 * \section alloc Allocation
 * Several clients may share one server. The server owns an allocator over its region:
 * \ref dmahost_remote_domain_ctx.alloc asks it for a range no other client holds (one round
 * trip), \ref dmahost_remote_domain_ctx.free gives the range back. The server frees every
 * range of a client when that client disconnects or dies. Addresses that were not allocated
 * are still accessible (the whole region is exposed): allocation is cooperation, not
 * protection.
 *
 * \section found Finding the interface
 * The domain's user context (`spdk_memory_domain_get_user_context`) is a
 * \ref dmahost_remote_domain_ctx; use \ref dmahost_remote_domain_ctx_get to check it. It is
 * owned by the domain and valid until the domain is destroyed (its device closed).
 */

#ifndef DMAHOST_REMOTE_H
#define DMAHOST_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** \ref dmahost_remote_domain_ctx.magic of a remote domain ("rmem"). */
#define DMAHOST_REMOTE_DOMAIN_MAGIC 0x726d656du
/** Version of this interface; \ref dmahost_remote_domain_ctx.version. Appending fields keeps it. */
#define DMAHOST_REMOTE_VERSION 1u

/** \ref dmahost_remote_domain_ctx.flags bits. */
enum dmahost_remote_flag {
	/** The server exposes the region read-only: push, memzero and transfer into it get -EACCES. */
	DMAHOST_REMOTE_READ_ONLY = 1u << 0
};

/**
 * The user context of a remote domain: the region it reaches and its allocation interface.
 * Host-owned copy made at domain creation; valid until the domain is destroyed.
 */
struct dmahost_remote_domain_ctx {
	/** sizeof(struct dmahost_remote_domain_ctx) as compiled by the domain's implementation. */
	size_t size;
	/** \ref DMAHOST_REMOTE_DOMAIN_MAGIC. */
	uint32_t magic;
	/** \ref DMAHOST_REMOTE_VERSION. */
	uint32_t version;
	/** The implementation's state (opaque). */
	void *impl;
	/** First address of the exposed region, in the server's address space. */
	uint64_t base;
	/** Length of the exposed region in bytes. */
	uint64_t length;
	/** Bitwise OR of \ref dmahost_remote_flag. */
	uint32_t flags;
	/** Reserved, 0. */
	uint32_t reserved;
	/**
	 * Allocate \b length bytes of the region, aligned to \b alignment (a power of two; 0 means
	 * 64), for this client. Synchronous: one round trip to the server, bounded by a few seconds.
	 * Call it from any thread except a completion callback of this domain.
	 * \param address Receives the first address of the range (in the domain's address space).
	 * \return 0; -EINVAL for a zero length or an alignment that is not a power of two; -ENOMEM
	 * when the region has no free range that large; -ENOTCONN when the server is gone;
	 * -ETIMEDOUT when it did not answer in time; -EDEADLK when called from a completion
	 * callback of this domain.
	 */
	int (*alloc)(const struct dmahost_remote_domain_ctx *ctx, uint64_t length, uint64_t alignment, uint64_t *address);
	/**
	 * Give back the range that starts at \b address (an address \b alloc returned to this client).
	 * Same threads and bound as \b alloc.
	 * \return 0; -ENOENT when this client holds no range that starts there; -ENOTCONN; -ETIMEDOUT.
	 */
	int (*free)(const struct dmahost_remote_domain_ctx *ctx, uint64_t address);
};

/**
 * The remote-domain interface of a domain, given its user context, or NULL when the domain is
 * not a remote domain of a compatible version.
 *
 * \param user_ctx What `spdk_memory_domain_get_user_context` returned.
 * \param size The size it reported.
 */
static inline const struct dmahost_remote_domain_ctx *
dmahost_remote_domain_ctx_get(const void *user_ctx, size_t size)
{
	const struct dmahost_remote_domain_ctx *ctx = (const struct dmahost_remote_domain_ctx *)user_ctx;
	if (ctx == NULL || size < sizeof(*ctx) || ctx->size < sizeof(*ctx) ||
	    ctx->magic != DMAHOST_REMOTE_DOMAIN_MAGIC || ctx->version != DMAHOST_REMOTE_VERSION) {
		return NULL;
	}
	return ctx;
}

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_REMOTE_H */
