/*
 * DMAHost — dma-buf memory domains (DMAHost extension to spdk/dma.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * dma-buf memory domains: what they are, how to put buffers into them, and how their
 * buffers are described to other domains.
 *
 * The dmaengine backend (`libdmahost-dmaengine.so`, driver name "dmaengine") creates one
 * memory domain per dma-buf source it can allocate from, each of type
 * `SPDK_DMA_DEVICE_TYPE_DMA` and with an id starting with \ref DMAHOST_DMABUF_DOMAIN_ID_PREFIX:
 * - "dmabuf:udmabuf": memfd pages turned into dma-bufs by `/dev/udmabuf`;
 * - "dmabuf:heap-<name>": allocations from the dma-buf heap `/dev/dma_heap/<name>`
 *   (e.g. "dmabuf:heap-system");
 * - "dmabuf:<DRM driver name>" (e.g. "dmabuf:vgem"): dumb buffers of a DRM device exported
 *   with PRIME.
 *
 * \section addr Address space
 * An address in a dma-buf domain is a CPU address inside the CPU mapping of a dma-buf that
 * the domain owns. Buffers enter a domain only through its allocation interface (below):
 * \ref dmahost_dmabuf_domain_ctx.alloc allocates a new dma-buf, \ref
 * dmahost_dmabuf_domain_ctx.import_fd adopts one made elsewhere. Every iovec given to the
 * domain's operations must lie entirely inside one buffer of that domain; otherwise the
 * operation fails with -EINVAL (-EFAULT for an address no buffer contains). Zero-length
 * iovecs are ignored.
 *
 * In udmabuf domains the CPU mapping of an allocated buffer is a shared mapping of its memfd
 * (the very pages the dma-buf is made of): an ordinary mapping the kernel can pin, so it can be
 * registered with `ibv_reg_mr`. Other mappings (heap and DRM buffers, imported dma-bufs) are the
 * exporter's own `VM_PFNMAP` mappings, which cannot be pinned (`ibv_reg_mr` fails with EFAULT):
 * register those with `ibv_reg_dmabuf_mr` on the fd, or copy through registered memory.
 *
 * \section ops Operations
 * - pull (domain → local memory), push (local memory → domain), memzero: CPU copies through
 *   the mapping, bracketed by `DMA_BUF_IOCTL_SYNC` (`SYNC_START`/`SYNC_END` with READ for
 *   buffers read and WRITE for buffers written), so that the dma-buf's exporter keeps caches
 *   coherent with devices. The destination's total length must be at least the source's
 *   (-EINVAL otherwise); exactly the source's total is copied. Source and destination may be
 *   segmented independently.
 * - transfer (into a dma-buf domain): from the system domain or any dma-buf domain by
 *   copying through both CPU mappings; from any other domain by calling that domain's pull
 *   with this domain's CPU mappings as the local destination (the destination buffers are
 *   held in a WRITE sync bracket until the pull completes).
 * - translate (from a dma-buf domain, to any destination): synchronous. Fills
 *   `result->iov` with the CPU mapping (`iov_count` 1, `iovs` NULL, RDMA keys 0: an RDMA
 *   destination registers the range itself, e.g. with `ibv_reg_dmabuf_mr` on the fd below or
 *   by registering the CPU mapping). When the caller passes a \ref
 *   dmahost_dmabuf_translation_result and sets `base.size` to its size, the dma-buf fd, offset
 *   and length are filled in \ref dmahost_dmabuf_translation_result.dmabuf as well. The range
 *   must lie in one buffer (-EINVAL).
 * - invalidate: CPU cache maintenance after a device wrote the buffers:
 *   `SYNC_START|READ` then `SYNC_END|READ` on each buffer the iovecs touch.
 *
 * Completion callbacks are invoked exactly once, on the domain's own worker thread, never
 * before the starting call returned. A domain accepts a bounded number of operations in
 * flight (-EAGAIN beyond). All functions may be called from any thread.
 *
 * \section found Finding the interface
 * The domain's user context (`spdk_memory_domain_get_user_context`) is a
 * \ref dmahost_dmabuf_domain_ctx; use \ref dmahost_dmabuf_domain_ctx_get to check it.
 * The context (like every buffer's fd and mapping) is owned by the domain and valid until
 * the domain is destroyed (its device closed).
 */

#ifndef DMAHOST_DMABUF_H
#define DMAHOST_DMABUF_H

#include <stddef.h>
#include <stdint.h>

#include "spdk/dma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Prefix of the ids of dma-buf memory domains. */
#define DMAHOST_DMABUF_DOMAIN_ID_PREFIX "dmabuf:"
/** \ref dmahost_dmabuf_domain_ctx.magic of a dma-buf domain ("dbuf"). */
#define DMAHOST_DMABUF_DOMAIN_MAGIC 0x64627566u
/** Version of this interface; \ref dmahost_dmabuf_domain_ctx.version. Appending fields keeps it. */
#define DMAHOST_DMABUF_VERSION 1u

/** Where a dma-buf domain's buffers come from (\ref dmahost_dmabuf_domain_ctx.source). */
enum dmahost_dmabuf_source {
	/** memfd + F_SEAL_SHRINK + UDMABUF_CREATE (`/dev/udmabuf`). */
	DMAHOST_DMABUF_SOURCE_UDMABUF = 1,
	/** DMA_HEAP_IOCTL_ALLOC on a dma-buf heap (`/dev/dma_heap/<name>`). */
	DMAHOST_DMABUF_SOURCE_HEAP = 2,
	/** DRM_IOCTL_MODE_CREATE_DUMB + drmPrimeHandleToFD on a DRM device. */
	DMAHOST_DMABUF_SOURCE_DRM = 3
};

/**
 * One buffer of a dma-buf domain. Size-prefixed: the caller sets \b size to
 * `sizeof(struct dmahost_dmabuf_buffer)` before passing it to alloc or import_fd.
 */
struct dmahost_dmabuf_buffer {
	/** Size of this structure in bytes, set by the caller. */
	size_t size;
	/** Start of the CPU mapping: iovecs in the domain's space point into [addr, addr + length). */
	void *addr;
	/** Length of the mapping in bytes (allocations are rounded up to whole pages). */
	uint64_t length;
	/** Offset of \b addr within the dma-buf. */
	uint64_t offset;
	/** The dma-buf fd. Owned by the domain and closed when the buffer is released: `dup` it to keep it. */
	int32_t fd;
	/** For udmabuf allocations, the backing memfd (owned by the domain, same lifetime); else -1. */
	int32_t memfd;
	/** For DRM domains, the GEM handle of the buffer on the domain's DRM device; else 0. */
	uint32_t gem_handle;
	/** Reserved, 0. */
	uint32_t reserved;
};

/**
 * How a range of a dma-buf domain is seen as a dma-buf. Size-prefixed: the caller sets
 * \b size to `sizeof(struct dmahost_dmabuf_translation)`.
 */
struct dmahost_dmabuf_translation {
	/** Size of this structure in bytes, set by the caller. */
	size_t size;
	/** The dma-buf fd (owned by the domain; valid until the buffer is released). */
	int32_t fd;
	/** Reserved, 0. */
	uint32_t reserved;
	/** Offset of the range within the dma-buf. */
	uint64_t offset;
	/** Length of the range in bytes. */
	uint64_t length;
	/** Size of the whole dma-buf in bytes. */
	uint64_t dmabuf_size;
	/** CPU address of the range (the same address that was translated). */
	void *addr;
};

/**
 * Extended translation result: pass `&x.base` to `spdk_memory_domain_translate_data` with
 * `x.base.size = sizeof(x)`, and a dma-buf domain fills \b dmabuf too (its \b size is set by the
 * domain). A domain that does not know the extension fills only \b base.
 */
struct dmahost_dmabuf_translation_result {
	/** The SPDK result; \b base.size must be `sizeof(struct dmahost_dmabuf_translation_result)`. */
	struct spdk_memory_domain_translation_result base;
	/** The dma-buf view of the translated range. */
	struct dmahost_dmabuf_translation dmabuf;
};

/**
 * The user context of a dma-buf domain: its allocation interface. Host-owned copy made at
 * domain creation; valid until the domain is destroyed. Functions return 0 or a negated
 * errno, may be called from any thread, and receive this context as \b ctx.
 */
struct dmahost_dmabuf_domain_ctx {
	/** sizeof(struct dmahost_dmabuf_domain_ctx) as compiled by the domain's implementation. */
	size_t size;
	/** \ref DMAHOST_DMABUF_DOMAIN_MAGIC. */
	uint32_t magic;
	/** \ref DMAHOST_DMABUF_VERSION. */
	uint32_t version;
	/** An \ref dmahost_dmabuf_source value. */
	uint32_t source;
	/** Reserved, 0. */
	uint32_t reserved;
	/** The implementation's state (opaque). */
	void *impl;
	/**
	 * Allocate a new dma-buf of at least \b length bytes, map it, and add it to the domain.
	 * \return 0 and \b *buffer filled; -EINVAL for a zero length or a bad \b buffer->size; -ENOMEM,
	 * or the kernel's error (e.g. -EINVAL above udmabuf's size_limit_mb).
	 */
	int (*alloc)(const struct dmahost_dmabuf_domain_ctx *ctx, uint64_t length, struct dmahost_dmabuf_buffer *buffer);
	/**
	 * Adopt the dma-buf \b fd (the domain `dup`s it; the caller keeps and closes its own), map
	 * [\b offset, \b offset + \b length) of it, and add it to the domain. In DRM domains the buffer
	 * is also imported into the device (drmPrimeFDToHandle).
	 * \param offset Start within the dma-buf, a multiple of the page size (-EINVAL otherwise).
	 * \param length Bytes to map; 0 maps to the end of the dma-buf.
	 * \return 0 and \b *buffer filled; -EBADF for a closed fd; -EINVAL for an fd that is not a dma-buf,
	 * a misaligned offset or a range outside the dma-buf; -EACCES when the dma-buf is not writable.
	 */
	int (*import_fd)(const struct dmahost_dmabuf_domain_ctx *ctx, int fd, uint64_t offset, uint64_t length,
			 struct dmahost_dmabuf_buffer *buffer);
	/**
	 * Remove the buffer mapped at \b addr (a \ref dmahost_dmabuf_buffer.addr) from the domain. Its
	 * mapping and fds go away once the operations in flight on it completed.
	 * \return 0, or -ENOENT when no buffer starts at \b addr.
	 */
	int (*release)(const struct dmahost_dmabuf_domain_ctx *ctx, void *addr);
	/**
	 * Describe [\b addr, \b addr + \b length) as a dma-buf range (no sync, no copy).
	 * \return 0 and \b *translation filled (its \b size set by the caller); -EFAULT when no buffer
	 * contains \b addr; -EINVAL when the range leaves the buffer.
	 */
	int (*lookup)(const struct dmahost_dmabuf_domain_ctx *ctx, const void *addr, uint64_t length,
		      struct dmahost_dmabuf_translation *translation);
};

/**
 * The allocation interface of a domain, given its user context, or NULL when the domain is
 * not a dma-buf domain of a compatible version.
 *
 * \param user_ctx What `spdk_memory_domain_get_user_context` returned.
 * \param size The size it reported.
 */
static inline const struct dmahost_dmabuf_domain_ctx *
dmahost_dmabuf_domain_ctx_get(const void *user_ctx, size_t size)
{
	const struct dmahost_dmabuf_domain_ctx *ctx = (const struct dmahost_dmabuf_domain_ctx *)user_ctx;
	if (ctx == NULL || size < sizeof(*ctx) || ctx->size < sizeof(*ctx) ||
	    ctx->magic != DMAHOST_DMABUF_DOMAIN_MAGIC || ctx->version != DMAHOST_DMABUF_VERSION) {
		return NULL;
	}
	return ctx;
}

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_DMABUF_H */
