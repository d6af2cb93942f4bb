/*
 * DMAHost UCX backend — the remote domain: its callbacks, its address checks, its allocator.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Every callback checks its arguments with dmahost/iovec.h first, then that every remote entry
 * lies in the server's region (-EFAULT), then, for writes, that the region is writable
 * (-EACCES); only then is anything queued. A device that is not connected (its peer failed, or
 * it is closing) refuses with -ENOTCONN.
 */
#include "ucx_internal.h"

#ifdef DMAHOST_UCX_HEADERS
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ucx_device *device_of(struct spdk_memory_domain *domain)
{
	const struct dmahost_host_api *host = ucx_host_functions();
	if (host == NULL || domain == NULL) {
		return NULL;
	}
	size_t size = 0;
	const struct dmahost_remote_domain_ctx *ctx =
		dmahost_remote_domain_ctx_get(host->spdk_memory_domain_get_user_context(domain, &size), size);
	return ctx != NULL ? ctx->impl : NULL;
}

/* -EFAULT unless every non-empty entry lies in [base, base + length). */
static int check_remote(const struct ucx_device *device, const struct iovec *iov, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		uint64_t start = (uint64_t)(uintptr_t)iov[i].iov_base;
		uint64_t length = iov[i].iov_len;
		if (length == 0) {
			continue;
		}
		if (start < device->base || start - device->base > device->length ||
		    length > device->length - (start - device->base)) {
			return -EFAULT;
		}
	}
	return 0;
}

static int check_write(const struct ucx_device *device, const struct iovec *iov, uint32_t count)
{
	int rc = check_remote(device, iov, count);
	if (rc == 0 && (device->flags & DMAHOST_REMOTE_READ_ONLY)) {
		rc = -EACCES;
	}
	return rc;
}

/* pull: the domain's src_iov (remote) → local dst_iov, by READ requests. */
static int ucx_pull(struct spdk_memory_domain *src_domain, void *src_domain_ctx, struct iovec *src_iov,
		    uint32_t src_iovcnt, struct iovec *dst_iov, uint32_t dst_iovcnt, spdk_memory_domain_data_cpl_cb cpl_cb,
		    void *cpl_cb_arg)
{
	(void)src_domain_ctx;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, NULL);
	if (rc != 0) {
		return rc;
	}
	struct ucx_device *device = device_of(src_domain);
	if (device == NULL) {
		return -ENODEV;
	}
	rc = check_remote(device, src_iov, src_iovcnt);
	if (rc != 0) {
		return rc;
	}
	return ucx_op_submit(device, UCX_OP_READ, dst_iov, dst_iovcnt, src_iov, src_iovcnt, cpl_cb, cpl_cb_arg, NULL, 0);
}

/* push: local src_iov → the domain's dst_iov (remote), by WRITE requests. */
static int ucx_push(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx, struct iovec *dst_iov,
		    uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt, spdk_memory_domain_data_cpl_cb cpl_cb,
		    void *cpl_cb_arg)
{
	(void)dst_domain_ctx;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, NULL);
	if (rc != 0) {
		return rc;
	}
	struct ucx_device *device = device_of(dst_domain);
	if (device == NULL) {
		return -ENODEV;
	}
	rc = check_write(device, dst_iov, dst_iovcnt);
	if (rc != 0) {
		return rc;
	}
	return ucx_op_submit(device, UCX_OP_WRITE, src_iov, src_iovcnt, dst_iov, dst_iovcnt, cpl_cb, cpl_cb_arg, NULL, 0);
}

static int ucx_memzero(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *iov, uint32_t iovcnt,
		       spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)domain_ctx;
	int rc = dmahost_iov_check_memzero(cpl_cb, iov, iovcnt, NULL);
	if (rc != 0) {
		return rc;
	}
	struct ucx_device *device = device_of(domain);
	if (device == NULL) {
		return -ENODEV;
	}
	rc = check_write(device, iov, iovcnt);
	if (rc != 0) {
		return rc;
	}
	return ucx_op_submit(device, UCX_OP_ZERO, NULL, 0, iov, iovcnt, cpl_cb, cpl_cb_arg, NULL, 0);
}

/* A transfer whose source is read into a bounce buffer first (through the source's pull). */
struct bounce_transfer {
	struct ucx_device *device;
	spdk_memory_domain_data_cpl_cb cpl_cb;
	void *cpl_cb_arg;
	void *bounce;
	struct iovec bounce_iov;
	uint32_t dst_iovcnt;
	struct iovec dst_iov[];
};

/* The source's pull ended (any thread): queue the push, which completes on the progress thread. */
static void bounce_read_done(void *arg, int rc)
{
	struct bounce_transfer *transfer = arg;
	int submitted = ucx_op_submit(transfer->device, UCX_OP_WRITE, &transfer->bounce_iov, 1, transfer->dst_iov,
				      transfer->dst_iovcnt, transfer->cpl_cb, transfer->cpl_cb_arg, transfer->bounce, rc);
	if (submitted != 0) {
		/* The device closed or failed meanwhile: the operation ends here, once. */
		free(transfer->bounce);
		transfer->cpl_cb(transfer->cpl_cb_arg, submitted);
	}
	free(transfer);
}

static int transfer_through_bounce(struct ucx_device *device, const struct dmahost_host_api *host,
				   struct spdk_memory_domain *src_domain, void *src_domain_ctx, struct iovec *src_iov,
				   uint32_t src_iovcnt, struct iovec *dst_iov, uint32_t dst_iovcnt, size_t total,
				   spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	struct bounce_transfer *transfer = malloc(sizeof(*transfer) + dst_iovcnt * sizeof(struct iovec));
	void *bounce = malloc(total);
	if (transfer == NULL || bounce == NULL) {
		free(transfer);
		free(bounce);
		return -ENOMEM;
	}
	*transfer = (struct bounce_transfer) {
		.device = device, .cpl_cb = cpl_cb, .cpl_cb_arg = cpl_cb_arg, .bounce = bounce,
		.bounce_iov = { .iov_base = bounce, .iov_len = total }, .dst_iovcnt = dst_iovcnt,
	};
	memcpy(transfer->dst_iov, dst_iov, dst_iovcnt * sizeof(struct iovec));
	int rc = host->spdk_memory_domain_pull_data(src_domain, src_domain_ctx, src_iov, src_iovcnt,
						    &transfer->bounce_iov, 1, bounce_read_done, transfer);
	if (rc != 0) {
		free(transfer);
		free(bounce);
	}
	return rc;
}

/*
 * transfer into the domain: from the system domain, or a domain whose memory translates into
 * system memory (cpu, the vendor samples, dma-buf mappings), straight from that memory; from
 * any other domain (another remote peer, a domain without translation) through a bounce
 * buffer the source's own pull fills first.
 */
static int ucx_transfer(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx, struct iovec *dst_iov,
			uint32_t dst_iovcnt, struct spdk_memory_domain *src_domain, void *src_domain_ctx,
			struct iovec *src_iov, uint32_t src_iovcnt,
			struct spdk_memory_domain_translation_result *src_translation, spdk_memory_domain_data_cpl_cb cpl_cb,
			void *cpl_cb_arg)
{
	(void)dst_domain_ctx;
	(void)src_translation;
	size_t total = 0;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, &total);
	if (rc != 0) {
		return rc;
	}
	const struct dmahost_host_api *host = ucx_host_functions();
	struct ucx_device *device = device_of(dst_domain);
	if (device == NULL || host == NULL) {
		return -ENODEV;
	}
	if (src_domain == NULL) {
		return -EINVAL;
	}
	rc = check_write(device, dst_iov, dst_iovcnt);
	if (rc != 0) {
		return rc;
	}
	struct spdk_memory_domain *system = host->spdk_memory_domain_get_system_domain();
	if (src_domain == system) {
		return ucx_op_submit(device, UCX_OP_WRITE, src_iov, src_iovcnt, dst_iov, dst_iovcnt, cpl_cb, cpl_cb_arg, NULL, 0);
	}
	struct iovec *local = calloc(src_iovcnt, sizeof(struct iovec));
	if (local == NULL) {
		return -ENOMEM;
	}
	bool translated = true;
	for (uint32_t i = 0; i < src_iovcnt && translated; i++) {
		if (src_iov[i].iov_len == 0) {
			continue;
		}
		struct spdk_memory_domain_translation_result result = { .size = sizeof(result) };
		translated = host->spdk_memory_domain_translate_data(src_domain, src_domain_ctx, system, NULL,
								     src_iov[i].iov_base, src_iov[i].iov_len, &result) == 0 &&
			     result.iov_count == 1 && result.iov.iov_len == src_iov[i].iov_len && result.iov.iov_base != NULL;
		local[i] = result.iov;
	}
	if (translated) {
		rc = ucx_op_submit(device, UCX_OP_WRITE, local, src_iovcnt, dst_iov, dst_iovcnt, cpl_cb, cpl_cb_arg, NULL, 0);
	} else {
		rc = transfer_through_bounce(device, host, src_domain, src_domain_ctx, src_iov, src_iovcnt, dst_iov, dst_iovcnt,
					     total, cpl_cb, cpl_cb_arg);
	}
	free(local);
	return rc;
}

static int remote_alloc(const struct dmahost_remote_domain_ctx *ctx, uint64_t length, uint64_t alignment,
			uint64_t *address)
{
	if (ctx == NULL || ctx->impl == NULL || address == NULL || length == 0 || (alignment & (alignment - 1)) != 0) {
		return -EINVAL;
	}
	return ucx_rpc_call(ctx->impl, true, length, alignment == 0 ? 64 : alignment, address);
}

static int remote_free(const struct dmahost_remote_domain_ctx *ctx, uint64_t address)
{
	if (ctx == NULL || ctx->impl == NULL) {
		return -EINVAL;
	}
	return ucx_rpc_call(ctx->impl, false, address, 0, NULL);
}

int ucx_domain_create(struct ucx_device *device, char *err, size_t err_len)
{
	const struct dmahost_host_api *host = device->driver->host;
	struct dmahost_remote_domain_ctx remote = {
		.size = sizeof(remote),
		.magic = DMAHOST_REMOTE_DOMAIN_MAGIC,
		.version = DMAHOST_REMOTE_VERSION,
		.impl = device,
		.base = device->base,
		.length = device->length,
		.flags = device->flags,
		.alloc = remote_alloc,
		.free = remote_free,
	};
	struct spdk_memory_domain_ctx ctx = { .size = sizeof(ctx), .user_ctx = &remote, .user_ctx_size = sizeof(remote) };
	int rc = host->domain_create(host->host_ctx, device->id, &device->domain, (enum spdk_dma_device_type)UCX_DEVICE_TYPE, &ctx, device->id);
	if (rc != 0) {
		device->domain = NULL;
		snprintf(err, err_len, "the host refused to create the domain %s", device->id);
		return rc;
	}
	host->spdk_memory_domain_set_pull(device->domain, ucx_pull);
	host->spdk_memory_domain_set_push(device->domain, ucx_push);
	host->spdk_memory_domain_set_memzero(device->domain, ucx_memzero);
	host->spdk_memory_domain_set_data_transfer(device->domain, ucx_transfer);
	return 0;
}
#endif /* DMAHOST_UCX_HEADERS */
