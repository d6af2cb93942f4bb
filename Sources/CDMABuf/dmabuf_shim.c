/*
 * DMAHost — typed helpers over the kernel's dma-buf uapi (see dmahost_dmabuf_shim.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */

#define _GNU_SOURCE
#include "dmahost_dmabuf_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

/* The DRM uapi headers ship with libdrm-dev (include dir from `pkg-config libdrm`). */
#include <drm.h>
#include <drm_mode.h>

_Static_assert(DMAHOST_DMA_BUF_SYNC_READ == DMA_BUF_SYNC_READ, "DMA_BUF_SYNC_READ");
_Static_assert(DMAHOST_DMA_BUF_SYNC_WRITE == DMA_BUF_SYNC_WRITE, "DMA_BUF_SYNC_WRITE");
_Static_assert(DMAHOST_DMA_BUF_SYNC_START == DMA_BUF_SYNC_START, "DMA_BUF_SYNC_START");
_Static_assert(DMAHOST_DMA_BUF_SYNC_END == DMA_BUF_SYNC_END, "DMA_BUF_SYNC_END");
_Static_assert(DMAHOST_SEAL_SEAL == F_SEAL_SEAL, "F_SEAL_SEAL");
_Static_assert(DMAHOST_SEAL_SHRINK == F_SEAL_SHRINK, "F_SEAL_SHRINK");
_Static_assert(DMAHOST_SEAL_GROW == F_SEAL_GROW, "F_SEAL_GROW");
_Static_assert(DMAHOST_SEAL_WRITE == F_SEAL_WRITE, "F_SEAL_WRITE");
_Static_assert(DMAHOST_MFD_CLOEXEC == MFD_CLOEXEC, "MFD_CLOEXEC");
_Static_assert(DMAHOST_MFD_ALLOW_SEALING == MFD_ALLOW_SEALING, "MFD_ALLOW_SEALING");
_Static_assert(DMAHOST_UDMABUF_FLAGS_CLOEXEC == UDMABUF_FLAGS_CLOEXEC, "UDMABUF_FLAGS_CLOEXEC");
#ifdef F_SEAL_FUTURE_WRITE
_Static_assert(DMAHOST_SEAL_FUTURE_WRITE == F_SEAL_FUTURE_WRITE, "F_SEAL_FUTURE_WRITE");
#endif

int dmahost_memfd_create(const char *name, unsigned int flags)
{
	return memfd_create(name, flags);
}

int dmahost_fd_add_seals(int fd, unsigned int seals)
{
	return fcntl(fd, F_ADD_SEALS, (int)seals);
}

int dmahost_fd_get_seals(int fd)
{
	return fcntl(fd, F_GET_SEALS);
}

int dmahost_fd_get_flags(int fd)
{
	return fcntl(fd, F_GETFD);
}

int dmahost_fd_dup_cloexec(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int dmahost_udmabuf_create(int dev_fd, int memfd, uint64_t offset, uint64_t size, uint32_t flags)
{
	struct udmabuf_create request = {
		.memfd = (__u32)memfd,
		.flags = flags,
		.offset = offset,
		.size = size,
	};
	return ioctl(dev_fd, UDMABUF_CREATE, &request);
}

int dmahost_udmabuf_create_list(int dev_fd, const struct dmahost_udmabuf_segment *segments,
				uint32_t count, uint32_t flags)
{
	if (segments == NULL && count > 0) {
		errno = EINVAL;
		return -1;
	}
	size_t bytes = sizeof(struct udmabuf_create_list) + (size_t)count * sizeof(struct udmabuf_create_item);
	struct udmabuf_create_list *request = calloc(1, bytes);
	if (request == NULL) {
		errno = ENOMEM;
		return -1;
	}
	request->flags = flags;
	request->count = count;
	for (uint32_t i = 0; i < count; i++) {
		request->list[i].memfd = (__u32)segments[i].memfd;
		request->list[i].offset = segments[i].offset;
		request->list[i].size = segments[i].size;
	}
	int rc = ioctl(dev_fd, UDMABUF_CREATE_LIST, request);
	int saved = errno;
	free(request);
	errno = saved;
	return rc;
}

int dmahost_dma_heap_alloc(int heap_fd, uint64_t length, uint32_t fd_flags, uint64_t heap_flags)
{
	struct dma_heap_allocation_data request = {
		.len = length,
		.fd = 0,
		.fd_flags = fd_flags,
		.heap_flags = heap_flags,
	};
	int rc = ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &request);
	return rc < 0 ? rc : (int)request.fd;
}

uint32_t dmahost_dma_heap_fd_flags_rdwr(void)
{
	return (uint32_t)(O_RDWR | O_CLOEXEC);
}

int dmahost_dma_buf_sync(int dmabuf_fd, uint64_t flags)
{
	struct dma_buf_sync request = { .flags = flags };
	return ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &request);
}

int dmahost_drm_mode_create_dumb(int drm_fd, uint32_t width, uint32_t height, uint32_t bpp,
				 uint32_t *handle, uint32_t *pitch, uint64_t *size)
{
	if (handle == NULL || pitch == NULL || size == NULL) {
		errno = EINVAL;
		return -1;
	}
	struct drm_mode_create_dumb request = {
		.height = height,
		.width = width,
		.bpp = bpp,
	};
	int rc = ioctl(drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &request);
	if (rc == 0) {
		*handle = request.handle;
		*pitch = request.pitch;
		*size = request.size;
	}
	return rc;
}

int dmahost_drm_mode_destroy_dumb(int drm_fd, uint32_t handle)
{
	struct drm_mode_destroy_dumb request = { .handle = handle };
	return ioctl(drm_fd, DRM_IOCTL_MODE_DESTROY_DUMB, &request);
}

uint32_t dmahost_drm_prime_flags_rdwr(void)
{
	return (uint32_t)(DRM_CLOEXEC | DRM_RDWR);
}
