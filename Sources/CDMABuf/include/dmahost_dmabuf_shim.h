/*
 * DMAHost — typed helpers over the kernel's dma-buf uapi.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * Thin C helpers over the ioctls and fcntls Swift cannot call directly (the request numbers
 * are function-like macros, `ioctl` and `fcntl` are variadic): udmabuf (`linux/udmabuf.h`),
 * dma-buf heaps (`linux/dma-heap.h`), dma-buf CPU access (`linux/dma-buf.h`), DRM dumb
 * buffers (`drm.h`, `drm_mode.h`), and memfd seals.
 *
 * Every function makes exactly one system call and returns its result unchanged: -1 with
 * `errno` set on failure. Nothing is retried here: the Swift wrappers (module DMABuf) turn
 * -1/errno into typed errors and retry EINTR in one place. This header exposes only fixed-width
 * integer types, so it can be imported next to libdrm's own headers.
 */

#ifndef DMAHOST_DMABUF_SHIM_H
#define DMAHOST_DMABUF_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Flags of \ref dmahost_dma_buf_sync (the values of `DMA_BUF_SYNC_*`; checked at compile time). */
enum dmahost_dma_buf_sync_flag {
	/** The CPU reads the buffer. */
	DMAHOST_DMA_BUF_SYNC_READ = 1u << 0,
	/** The CPU writes the buffer. */
	DMAHOST_DMA_BUF_SYNC_WRITE = 2u << 0,
	/** Begin CPU access. */
	DMAHOST_DMA_BUF_SYNC_START = 0u << 2,
	/** End CPU access. */
	DMAHOST_DMA_BUF_SYNC_END = 1u << 2
};

/** Seals of \ref dmahost_fd_add_seals (the values of `F_SEAL_*`; checked at compile time). */
enum dmahost_seal {
	/** No further seals may be added. */
	DMAHOST_SEAL_SEAL = 0x0001,
	/** The file may not shrink (required by udmabuf). */
	DMAHOST_SEAL_SHRINK = 0x0002,
	/** The file may not grow. */
	DMAHOST_SEAL_GROW = 0x0004,
	/** The contents may not be written (refused by udmabuf). */
	DMAHOST_SEAL_WRITE = 0x0008,
	/** No new writable mappings (refused by udmabuf on recent kernels). */
	DMAHOST_SEAL_FUTURE_WRITE = 0x0010
};

/** Flags of \ref dmahost_memfd_create (the values of `MFD_*`; checked at compile time). */
enum dmahost_memfd_flag {
	/** Close on exec. */
	DMAHOST_MFD_CLOEXEC = 0x0001,
	/** Allow seals (required to add F_SEAL_SHRINK). */
	DMAHOST_MFD_ALLOW_SEALING = 0x0002
};

/** `UDMABUF_FLAGS_CLOEXEC`: the created dma-buf fd is close-on-exec. */
#define DMAHOST_UDMABUF_FLAGS_CLOEXEC 0x01u

/** One range of a memfd for \ref dmahost_udmabuf_create_list (`struct udmabuf_create_item`). */
struct dmahost_udmabuf_segment {
	/** The memfd (sealed with F_SEAL_SHRINK). */
	int32_t memfd;
	/** Offset in the memfd, a multiple of the page size. */
	uint64_t offset;
	/** Length, a multiple of the page size. */
	uint64_t size;
};

/** `memfd_create(name, flags)`. \return the fd, or -1 with errno. */
int dmahost_memfd_create(const char *name, unsigned int flags);

/** `fcntl(fd, F_ADD_SEALS, seals)`. \return 0, or -1 with errno. */
int dmahost_fd_add_seals(int fd, unsigned int seals);

/** `fcntl(fd, F_GET_SEALS)`. \return the seals, or -1 with errno (EINVAL: not a memfd/shmem file). */
int dmahost_fd_get_seals(int fd);

/** `fcntl(fd, F_GETFD)`: whether \b fd is open. \return the fd flags, or -1 with errno (EBADF). */
int dmahost_fd_get_flags(int fd);

/** `fcntl(fd, F_DUPFD_CLOEXEC, 0)`. \return the new fd, or -1 with errno. */
int dmahost_fd_dup_cloexec(int fd);

/**
 * `ioctl(dev_fd, UDMABUF_CREATE, {memfd, flags, offset, size})` on an open `/dev/udmabuf`.
 * \return the new dma-buf fd, or -1 with errno.
 */
int dmahost_udmabuf_create(int dev_fd, int memfd, uint64_t offset, uint64_t size, uint32_t flags);

/**
 * `ioctl(dev_fd, UDMABUF_CREATE_LIST, {flags, count, list[count]})`: one dma-buf made of
 * \b count memfd ranges, in order. The request is built on the heap (ENOMEM if that fails).
 * \return the new dma-buf fd, or -1 with errno.
 */
int dmahost_udmabuf_create_list(int dev_fd, const struct dmahost_udmabuf_segment *segments,
				uint32_t count, uint32_t flags);

/**
 * `ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, {len, fd_flags, heap_flags})` on an open `/dev/dma_heap/<name>`.
 * \param fd_flags Flags of the new fd (O_RDWR | O_CLOEXEC).
 * \return the new dma-buf fd, or -1 with errno.
 */
int dmahost_dma_heap_alloc(int heap_fd, uint64_t length, uint32_t fd_flags, uint64_t heap_flags);

/** The `O_RDWR | O_CLOEXEC` fd flags for \ref dmahost_dma_heap_alloc. */
uint32_t dmahost_dma_heap_fd_flags_rdwr(void);

/**
 * `ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, {flags})`: bracket CPU access to a dma-buf.
 * \param flags \ref DMAHOST_DMA_BUF_SYNC_START or \ref DMAHOST_DMA_BUF_SYNC_END, OR-ed with READ and/or WRITE.
 * \return 0, or -1 with errno (ENOTTY: not a dma-buf).
 */
int dmahost_dma_buf_sync(int dmabuf_fd, uint64_t flags);

/**
 * `ioctl(drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, ...)`: create a dumb buffer.
 * \param handle Receives the GEM handle. \param pitch Receives the bytes per row.
 * \param size Receives the buffer size in bytes (at least height * pitch).
 * \return 0, or -1 with errno.
 */
int dmahost_drm_mode_create_dumb(int drm_fd, uint32_t width, uint32_t height, uint32_t bpp,
				 uint32_t *handle, uint32_t *pitch, uint64_t *size);

/** `ioctl(drm_fd, DRM_IOCTL_MODE_DESTROY_DUMB, {handle})`. \return 0, or -1 with errno. */
int dmahost_drm_mode_destroy_dumb(int drm_fd, uint32_t handle);

/** `DRM_CLOEXEC | DRM_RDWR`: flags for drmPrimeHandleToFD giving a writable, mmappable dma-buf fd. */
uint32_t dmahost_drm_prime_flags_rdwr(void);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_DMABUF_SHIM_H */
