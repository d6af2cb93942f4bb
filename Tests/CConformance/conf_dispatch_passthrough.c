/*
 * Conformance: every argument of every operation reaches the callback untouched (sentinel
 * pointers, counts, NULLs), the callback's return value comes back unchanged (zero,
 * negative, positive, extremes), and completion is the callback's business: the library
 * never calls cpl_cb, and an immediate completion reaches the caller exactly once.
 */
#include "conf_recorder.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

static const int g_rcs[] = { 0, -EIO, -ENOMEM, -EAGAIN, -ENOTSUP, -EINVAL, 1, 7, INT_MAX, INT_MIN };
#define RC_COUNT (sizeof(g_rcs) / sizeof(g_rcs[0]))

#define IOV_A ((struct iovec *)CONF_TAG(21))
#define IOV_B ((struct iovec *)CONF_TAG(22))
#define CTX_A CONF_TAG(23)
#define CTX_B CONF_TAG(24)
#define CPL_ARG CONF_TAG(25)
#define ADDR CONF_TAG(26)
#define TRANSLATION ((struct spdk_memory_domain_translation_result *)CONF_TAG(27))
#define DST_CTX ((struct spdk_memory_domain_translation_ctx *)CONF_TAG(28))

static void check_pull_push(struct spdk_memory_domain *d)
{
	for (size_t i = 0; i < RC_COUNT; i++) {
		rec_reset(g_rcs[i], false, 0);
		CHECK_INT(spdk_memory_domain_pull_data(d, CTX_A, IOV_A, 3, IOV_B, 5, rec_cpl, CPL_ARG), g_rcs[i]);
		CHECK_INT(g_rec.calls, 1);
		CHECK_PTR(g_rec.domain, d);
		CHECK_PTR(g_rec.domain_ctx, CTX_A);
		CHECK_PTR(g_rec.iov, IOV_A);
		CHECK_INT(g_rec.iovcnt, 3);
		CHECK_PTR(g_rec.iov2, IOV_B);
		CHECK_INT(g_rec.iovcnt2, 5);
		CHECK(g_rec.cpl_cb == rec_cpl);
		CHECK_PTR(g_rec.cpl_cb_arg, CPL_ARG);
		CHECK_INT(g_cpl_calls, 0);

		rec_reset(g_rcs[i], false, 0);
		CHECK_INT(spdk_memory_domain_push_data(d, CTX_B, IOV_B, UINT32_MAX, IOV_A, 0, rec_cpl, CPL_ARG), g_rcs[i]);
		CHECK_INT(g_rec.calls, 1);
		CHECK_PTR(g_rec.domain, d);
		CHECK_PTR(g_rec.domain_ctx, CTX_B);
		CHECK_PTR(g_rec.iov, IOV_B);
		CHECK_INT(g_rec.iovcnt, UINT32_MAX);
		CHECK_PTR(g_rec.iov2, IOV_A);
		CHECK_INT(g_rec.iovcnt2, 0);
		CHECK(g_rec.cpl_cb == rec_cpl);
		CHECK_PTR(g_rec.cpl_cb_arg, CPL_ARG);
		CHECK_INT(g_cpl_calls, 0);
	}
	/* NULLs pass through as NULLs. */
	rec_reset(0, false, 0);
	CHECK_INT(spdk_memory_domain_pull_data(d, NULL, NULL, 0, NULL, 0, NULL, NULL), 0);
	CHECK(g_rec.calls == 1 && g_rec.domain_ctx == NULL && g_rec.iov == NULL && g_rec.iov2 == NULL);
	CHECK(g_rec.cpl_cb == NULL && g_rec.cpl_cb_arg == NULL);
	rec_reset(0, false, 0);
	CHECK_INT(spdk_memory_domain_push_data(d, NULL, NULL, 0, NULL, 0, NULL, NULL), 0);
	CHECK(g_rec.calls == 1 && g_rec.domain_ctx == NULL && g_rec.iov == NULL && g_rec.iov2 == NULL);
	CHECK(g_rec.cpl_cb == NULL && g_rec.cpl_cb_arg == NULL);
}

static void check_transfer(struct spdk_memory_domain *dst, struct spdk_memory_domain *src)
{
	for (size_t i = 0; i < RC_COUNT; i++) {
		rec_reset(g_rcs[i], false, 0);
		CHECK_INT(spdk_memory_domain_transfer_data(dst, CTX_A, IOV_A, 2, src, CTX_B, IOV_B, 9, TRANSLATION,
							   rec_cpl, CPL_ARG), g_rcs[i]);
		CHECK_INT(g_rec.calls, 1);
		CHECK_PTR(g_rec.domain, dst);
		CHECK_PTR(g_rec.domain_ctx, CTX_A);
		CHECK_PTR(g_rec.iov, IOV_A);
		CHECK_INT(g_rec.iovcnt, 2);
		CHECK_PTR(g_rec.other_domain, src);
		CHECK_PTR(g_rec.other_ctx, CTX_B);
		CHECK_PTR(g_rec.iov2, IOV_B);
		CHECK_INT(g_rec.iovcnt2, 9);
		CHECK_PTR(g_rec.translation, TRANSLATION);
		CHECK(g_rec.cpl_cb == rec_cpl);
		CHECK_PTR(g_rec.cpl_cb_arg, CPL_ARG);
		CHECK_INT(g_cpl_calls, 0);
	}
	rec_reset(0, false, 0);
	CHECK_INT(spdk_memory_domain_transfer_data(dst, NULL, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL), 0);
	CHECK(g_rec.calls == 1 && g_rec.domain == dst && g_rec.other_domain == NULL && g_rec.other_ctx == NULL);
	CHECK(g_rec.translation == NULL && g_rec.cpl_cb == NULL && g_rec.cpl_cb_arg == NULL);
}

static void check_translate(struct spdk_memory_domain *src, struct spdk_memory_domain *dst)
{
	struct spdk_memory_domain_translation_result result;
	struct spdk_memory_domain_translation_ctx dst_ctx = { .size = sizeof(dst_ctx), .rdma.ibv_qp = CONF_TAG(29) };

	for (size_t i = 0; i < RC_COUNT; i++) {
		/* The callback writes the result on success, so that one must be real. */
		struct spdk_memory_domain_translation_result *target = g_rcs[i] == 0 ? &result : TRANSLATION;

		rec_reset(g_rcs[i], false, 0);
		CHECK_INT(spdk_memory_domain_translate_data(src, CTX_A, dst, DST_CTX, ADDR, 4096, target), g_rcs[i]);
		CHECK_INT(g_rec.calls, 1);
		CHECK_PTR(g_rec.domain, src);
		CHECK_PTR(g_rec.domain_ctx, CTX_A);
		CHECK_PTR(g_rec.other_domain, dst);
		CHECK_PTR(g_rec.other_ctx, DST_CTX);
		CHECK_PTR(g_rec.addr, ADDR);
		CHECK_INT(g_rec.len, 4096);
		CHECK_PTR(g_rec.translation, target);
	}
	/* What the callback writes into the caller's result is what the caller sees. */
	memset(&result, 0, sizeof(result));
	result.size = sizeof(result);
	rec_reset(0, false, 0);
	CHECK_INT(spdk_memory_domain_translate_data(src, NULL, dst, &dst_ctx, ADDR, SIZE_MAX, &result), 0);
	CHECK_PTR(g_rec.translation, &result);
	CHECK_PTR(g_rec.other_ctx, &dst_ctx);
	CHECK_INT(g_rec.len, SIZE_MAX);
	CHECK_INT(result.size, sizeof(result));
	CHECK_INT(result.iov_count, 1);
	CHECK_PTR(result.iov.iov_base, (char *)ADDR + 0x1000);
	CHECK_INT(result.iov.iov_len, SIZE_MAX);
	CHECK_PTR(result.dst_domain, dst);
	CHECK_INT(result.rdma.lkey, 0xA000);
	CHECK_INT(result.rdma.rkey, 0xA001);
	CHECK_PTR(dst_ctx.rdma.ibv_qp, CONF_TAG(29));
	rec_reset(0, false, 0);
	CHECK_INT(spdk_memory_domain_translate_data(src, NULL, NULL, NULL, NULL, 0, NULL), 0);
	CHECK(g_rec.calls == 1 && g_rec.other_domain == NULL && g_rec.other_ctx == NULL && g_rec.addr == NULL);
	CHECK(g_rec.len == 0 && g_rec.translation == NULL);
}

static void check_invalidate_memzero(struct spdk_memory_domain *d)
{
	rec_reset(0, false, 0);
	spdk_memory_domain_invalidate_data(d, CTX_B, IOV_A, 11);
	CHECK_INT(g_rec.calls, 1);
	CHECK_PTR(g_rec.domain, d);
	CHECK_PTR(g_rec.domain_ctx, CTX_B);
	CHECK_PTR(g_rec.iov, IOV_A);
	CHECK_INT(g_rec.iovcnt, 11);
	rec_reset(0, false, 0);
	spdk_memory_domain_invalidate_data(d, NULL, NULL, 0);
	CHECK(g_rec.calls == 1 && g_rec.domain_ctx == NULL && g_rec.iov == NULL && g_rec.iovcnt == 0);

	for (size_t i = 0; i < RC_COUNT; i++) {
		rec_reset(g_rcs[i], false, 0);
		CHECK_INT(spdk_memory_domain_memzero(d, CTX_A, IOV_B, 4, rec_cpl, CPL_ARG), g_rcs[i]);
		CHECK_INT(g_rec.calls, 1);
		CHECK_PTR(g_rec.domain, d);
		CHECK_PTR(g_rec.domain_ctx, CTX_A);
		CHECK_PTR(g_rec.iov, IOV_B);
		CHECK_INT(g_rec.iovcnt, 4);
		CHECK(g_rec.cpl_cb == rec_cpl);
		CHECK_PTR(g_rec.cpl_cb_arg, CPL_ARG);
		CHECK_INT(g_cpl_calls, 0);
	}
}

/* A callback that completes at once: the caller's cpl_cb runs exactly once, with the
 * callback's completion rc and the caller's argument, and the start rc is the callback's. */
static void check_immediate_completion(struct spdk_memory_domain *d, struct spdk_memory_domain *src)
{
	static const int cpl_rcs[] = { 0, -EIO, -ECANCELED };
	struct iovec iov = { .iov_base = NULL, .iov_len = 0 };

	for (size_t i = 0; i < sizeof(cpl_rcs) / sizeof(cpl_rcs[0]); i++) {
		rec_reset(0, true, cpl_rcs[i]);
		CHECK_INT(spdk_memory_domain_pull_data(d, NULL, &iov, 1, &iov, 1, rec_cpl, CPL_ARG), 0);
		CHECK_INT(g_cpl_calls, 1);
		CHECK_INT(g_cpl_rc, cpl_rcs[i]);
		CHECK_PTR(g_cpl_arg, CPL_ARG);
		rec_reset(0, true, cpl_rcs[i]);
		CHECK_INT(spdk_memory_domain_push_data(d, NULL, &iov, 1, &iov, 1, rec_cpl, CPL_ARG), 0);
		CHECK(g_cpl_calls == 1 && g_cpl_rc == cpl_rcs[i] && g_cpl_arg == CPL_ARG);
		rec_reset(0, true, cpl_rcs[i]);
		CHECK_INT(spdk_memory_domain_transfer_data(d, NULL, &iov, 1, src, NULL, &iov, 1, NULL, rec_cpl, CPL_ARG), 0);
		CHECK(g_cpl_calls == 1 && g_cpl_rc == cpl_rcs[i] && g_cpl_arg == CPL_ARG);
		rec_reset(0, true, cpl_rcs[i]);
		CHECK_INT(spdk_memory_domain_memzero(d, NULL, &iov, 1, rec_cpl, CPL_ARG), 0);
		CHECK(g_cpl_calls == 1 && g_cpl_rc == cpl_rcs[i] && g_cpl_arg == CPL_ARG);
	}
}

void conf_dispatch_passthrough(void)
{
	struct spdk_memory_domain *d = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-pass-a");
	struct spdk_memory_domain *e = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-pass-b");

	spdk_memory_domain_set_pull(d, rec_pull_a);
	spdk_memory_domain_set_push(d, rec_push_a);
	spdk_memory_domain_set_data_transfer(d, rec_transfer_a);
	spdk_memory_domain_set_translation(d, rec_translate_a);
	spdk_memory_domain_set_invalidate(d, rec_invalidate_a);
	spdk_memory_domain_set_memzero(d, rec_memzero_a);

	conf_section("pass-through: pull and push");
	check_pull_push(d);
	conf_section("pass-through: transfer");
	check_transfer(d, e);
	conf_section("pass-through: translate");
	check_translate(d, e);
	conf_section("pass-through: invalidate and memzero");
	check_invalidate_memzero(d);
	conf_section("pass-through: immediate completion reaches the caller once");
	check_immediate_completion(d, e);

	spdk_memory_domain_destroy(e);
	spdk_memory_domain_destroy(d);
	CHECK_INT(conf_registry_count(NULL), 1);
}
