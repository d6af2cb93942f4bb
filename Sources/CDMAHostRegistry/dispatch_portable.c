/*
 * DMAHost — the data-path dispatchers in C, for architectures dispatch.S does not cover (it
 * has x86-64 and AArch64); and, on every architecture, the build-time checks that dispatch.S
 * reads the record as C lays it out. Same behaviour: a NULL domain gives -ENOTSUP (invalidate:
 * nothing); otherwise the callback slot, never NULL (registry_storage.c), is called with every
 * argument unchanged.
 */
#include <errno.h>
#include <stddef.h>

#include "dispatch_layout.h"
#include "dmahost_registry.h"

_Static_assert(offsetof(struct spdk_memory_domain, pull_cb) == DMAHOST_RECORD_PULL_CB, "dispatch.S: pull_cb offset");
_Static_assert(offsetof(struct spdk_memory_domain, push_cb) == DMAHOST_RECORD_PUSH_CB, "dispatch.S: push_cb offset");
_Static_assert(offsetof(struct spdk_memory_domain, transfer_cb) == DMAHOST_RECORD_TRANSFER_CB, "dispatch.S: transfer_cb offset");
_Static_assert(offsetof(struct spdk_memory_domain, translate_cb) == DMAHOST_RECORD_TRANSLATE_CB, "dispatch.S: translate_cb offset");
_Static_assert(offsetof(struct spdk_memory_domain, invalidate_cb) == DMAHOST_RECORD_INVALIDATE_CB, "dispatch.S: invalidate_cb offset");
_Static_assert(offsetof(struct spdk_memory_domain, memzero_cb) == DMAHOST_RECORD_MEMZERO_CB, "dispatch.S: memzero_cb offset");
_Static_assert(-ENOTSUP == DMAHOST_DISPATCH_NULL_RC, "dispatch.S: the value of -ENOTSUP");

#if !defined(__x86_64__) && !defined(__aarch64__)

int spdk_memory_domain_pull_data(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
				 struct iovec *src_iov, uint32_t src_iov_cnt, struct iovec *dst_iov, uint32_t dst_iov_cnt,
				 spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	if (src_domain == NULL) {
		return -ENOTSUP;
	}
	return src_domain->pull_cb(src_domain, src_domain_ctx, src_iov, src_iov_cnt, dst_iov, dst_iov_cnt, cpl_cb, cpl_cb_arg);
}

int spdk_memory_domain_push_data(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
				 struct iovec *dst_iov, uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt,
				 spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	if (dst_domain == NULL) {
		return -ENOTSUP;
	}
	return dst_domain->push_cb(dst_domain, dst_domain_ctx, dst_iov, dst_iovcnt, src_iov, src_iovcnt, cpl_cb, cpl_cb_arg);
}

int spdk_memory_domain_transfer_data(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
				     struct iovec *dst_iov, uint32_t dst_iovcnt,
				     struct spdk_memory_domain *src_domain, void *src_domain_ctx,
				     struct iovec *src_iov, uint32_t src_iovcnt,
				     struct spdk_memory_domain_translation_result *src_translation,
				     spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	if (dst_domain == NULL) {
		return -ENOTSUP;
	}
	return dst_domain->transfer_cb(dst_domain, dst_domain_ctx, dst_iov, dst_iovcnt, src_domain, src_domain_ctx, src_iov,
				       src_iovcnt, src_translation, cpl_cb, cpl_cb_arg);
}

int spdk_memory_domain_translate_data(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
				      struct spdk_memory_domain *dst_domain,
				      struct spdk_memory_domain_translation_ctx *dst_domain_ctx,
				      void *addr, size_t len, struct spdk_memory_domain_translation_result *result)
{
	if (src_domain == NULL) {
		return -ENOTSUP;
	}
	return src_domain->translate_cb(src_domain, src_domain_ctx, dst_domain, dst_domain_ctx, addr, len, result);
}

void spdk_memory_domain_invalidate_data(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *iov,
					uint32_t iovcnt)
{
	if (domain != NULL) {
		domain->invalidate_cb(domain, domain_ctx, iov, iovcnt);
	}
}

int spdk_memory_domain_memzero(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *iov, uint32_t iovcnt,
			       spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	if (domain == NULL) {
		return -ENOTSUP;
	}
	return domain->memzero_cb(domain, domain_ctx, iov, iovcnt, cpl_cb, cpl_cb_arg);
}

#endif
