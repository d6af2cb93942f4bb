/*
 * DMAHost C ABI conformance — the recording callbacks declared in conf_recorder.h.
 */
#include "conf_recorder.h"

#include <string.h>

struct rec_call g_rec;
int g_rec_rc;
bool g_rec_complete;
int g_rec_cpl_rc;
int g_cpl_calls;
int g_cpl_rc;
void *g_cpl_arg;

void rec_reset(int rc, bool complete, int cpl_rc)
{
	memset(&g_rec, 0, sizeof(g_rec));
	g_rec_rc = rc;
	g_rec_complete = complete;
	g_rec_cpl_rc = cpl_rc;
	g_cpl_calls = 0;
	g_cpl_rc = 0x7777;
	g_cpl_arg = NULL;
}

void rec_cpl(void *arg, int rc)
{
	g_cpl_calls++;
	g_cpl_rc = rc;
	g_cpl_arg = arg;
}

static int rec_finish(enum rec_variant variant, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	g_rec.calls++;
	g_rec.variant = variant;
	g_rec.cpl_cb = cpl_cb;
	g_rec.cpl_cb_arg = cpl_cb_arg;
	if (g_rec_complete && cpl_cb != NULL) {
		cpl_cb(cpl_cb_arg, g_rec_cpl_rc);
	}
	return g_rec_rc;
}

#define REC_TWO_IOV(name, var_)                                                                          \
	int name(struct spdk_memory_domain *d, void *dctx, struct iovec *iov, uint32_t n, struct iovec *iov2, \
		 uint32_t n2, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)                       \
	{                                                                                                   \
		g_rec.domain = d;                                                                           \
		g_rec.domain_ctx = dctx;                                                                    \
		g_rec.iov = iov;                                                                            \
		g_rec.iovcnt = n;                                                                           \
		g_rec.iov2 = iov2;                                                                          \
		g_rec.iovcnt2 = n2;                                                                         \
		return rec_finish(var_, cpl_cb, cpl_cb_arg);                                             \
	}

REC_TWO_IOV(rec_pull_a, REC_A)
REC_TWO_IOV(rec_pull_b, REC_B)
REC_TWO_IOV(rec_push_a, REC_A)
REC_TWO_IOV(rec_push_b, REC_B)

#define REC_TRANSFER(name, var_)                                                                           \
	int name(struct spdk_memory_domain *d, void *dctx, struct iovec *iov, uint32_t n,                      \
		 struct spdk_memory_domain *src, void *sctx, struct iovec *iov2, uint32_t n2,                  \
		 struct spdk_memory_domain_translation_result *translation, spdk_memory_domain_data_cpl_cb cpl_cb, \
		 void *cpl_cb_arg)                                                                             \
	{                                                                                                     \
		g_rec.domain = d;                                                                             \
		g_rec.domain_ctx = dctx;                                                                      \
		g_rec.iov = iov;                                                                              \
		g_rec.iovcnt = n;                                                                             \
		g_rec.other_domain = src;                                                                     \
		g_rec.other_ctx = sctx;                                                                       \
		g_rec.iov2 = iov2;                                                                            \
		g_rec.iovcnt2 = n2;                                                                           \
		g_rec.translation = translation;                                                              \
		return rec_finish(var_, cpl_cb, cpl_cb_arg);                                               \
	}

REC_TRANSFER(rec_transfer_a, REC_A)
REC_TRANSFER(rec_transfer_b, REC_B)

#define REC_TRANSLATE(name, var_, key_)                                                               \
	int name(struct spdk_memory_domain *d, void *dctx, struct spdk_memory_domain *dst,               \
		 struct spdk_memory_domain_translation_ctx *dst_ctx, void *addr, size_t len,             \
		 struct spdk_memory_domain_translation_result *result)                                   \
	{                                                                                                \
		g_rec.calls++;                                                                           \
		g_rec.variant = var_;                                                                 \
		g_rec.domain = d;                                                                        \
		g_rec.domain_ctx = dctx;                                                                 \
		g_rec.other_domain = dst;                                                                \
		g_rec.other_ctx = dst_ctx;                                                               \
		g_rec.addr = addr;                                                                       \
		g_rec.len = len;                                                                         \
		g_rec.translation = result;                                                              \
		if (g_rec_rc == 0 && result != NULL) {                                                   \
			/* What an RDMA domain does: one iov in the destination's terms, plus keys. */  \
			result->iov_count = 1;                                                           \
			result->iov.iov_base = (char *)addr + 0x1000;                                    \
			result->iov.iov_len = len;                                                       \
			result->dst_domain = dst;                                                        \
			result->rdma.lkey = (key_);                                                      \
			result->rdma.rkey = (key_) + 1;                                                  \
		}                                                                                        \
		return g_rec_rc;                                                                         \
	}

REC_TRANSLATE(rec_translate_a, REC_A, 0xA000)
REC_TRANSLATE(rec_translate_b, REC_B, 0xB000)

#define REC_INVALIDATE(name, var_)                                                     \
	void name(struct spdk_memory_domain *d, void *dctx, struct iovec *iov, uint32_t n) \
	{                                                                                 \
		g_rec.calls++;                                                            \
		g_rec.variant = var_;                                                  \
		g_rec.domain = d;                                                         \
		g_rec.domain_ctx = dctx;                                                  \
		g_rec.iov = iov;                                                          \
		g_rec.iovcnt = n;                                                         \
	}

REC_INVALIDATE(rec_invalidate_a, REC_A)
REC_INVALIDATE(rec_invalidate_b, REC_B)

#define REC_MEMZERO(name, var_)                                                                  \
	int name(struct spdk_memory_domain *d, void *dctx, struct iovec *iov, uint32_t n,           \
		 spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)                            \
	{                                                                                           \
		g_rec.domain = d;                                                                   \
		g_rec.domain_ctx = dctx;                                                            \
		g_rec.iov = iov;                                                                    \
		g_rec.iovcnt = n;                                                                   \
		return rec_finish(var_, cpl_cb, cpl_cb_arg);                                     \
	}

REC_MEMZERO(rec_memzero_a, REC_A)
REC_MEMZERO(rec_memzero_b, REC_B)
