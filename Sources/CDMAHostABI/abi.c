/* The headers of this target are the public C ABI (spdk/dma.h, the dmahost headers).
 * This file checks at compile time that their LP64 layouts match SPDK's, and compiles the
 * header-only argument checks (dmahost/iovec.h) with this target's warnings. */
#include "spdk/dma.h"
#include "dmahost/driver.h"
#include "dmahost/host.h"
#include "dmahost/iovec.h"
#include "dmahost/cpu_accel.h"
#include "dmahost/dmabuf.h"
#include "dmahost/remote.h"

#if defined(__LP64__)
_Static_assert(sizeof(struct spdk_memory_domain_translation_result) == 56, "translation_result layout");
_Static_assert(offsetof(struct spdk_memory_domain_translation_result, iov_count) == 8, "iov_count offset");
_Static_assert(offsetof(struct spdk_memory_domain_translation_result, iov) == 16, "iov offset");
_Static_assert(offsetof(struct spdk_memory_domain_translation_result, iovs) == 32, "iovs offset");
_Static_assert(offsetof(struct spdk_memory_domain_translation_result, dst_domain) == 40, "dst_domain offset");
_Static_assert(offsetof(struct spdk_memory_domain_translation_result, rdma.lkey) == 48, "lkey offset");
_Static_assert(offsetof(struct spdk_memory_domain_translation_result, rdma.rkey) == 52, "rkey offset");
_Static_assert(sizeof(struct spdk_memory_domain_translation_ctx) == 16, "translation_ctx layout");
_Static_assert(offsetof(struct spdk_memory_domain_translation_ctx, rdma.ibv_qp) == 8, "ibv_qp offset");
_Static_assert(sizeof(struct spdk_memory_domain_ctx) == 24, "domain ctx layout");
_Static_assert(sizeof(struct spdk_memory_domain_rdma_ctx) == 16, "rdma ctx layout");
_Static_assert(sizeof(enum spdk_dma_device_type) == 4, "enum size");
_Static_assert(sizeof(struct dmahost_remote_domain_ctx) == 64, "remote domain ctx layout");
_Static_assert(DMAHOST_IOV_LEN_MAX == (size_t)INT64_MAX, "SSIZE_MAX");
#endif
