/*
 * Conformance: the system domain. It exists before any other call (main runs this section
 * first), is first in the registry, has type DMA and id "system", is always the same
 * pointer, has no context, reports -ENOTSUP for its operations whatever a caller tries
 * to set, and survives destroy.
 */
#include "conformance.h"

#include <errno.h>

static int g_system_cb_calls;

static int system_pull(struct spdk_memory_domain *d, void *dctx, struct iovec *a, uint32_t an, struct iovec *b,
		       uint32_t bn, spdk_memory_domain_data_cpl_cb cb, void *arg)
{
	(void)d, (void)dctx, (void)a, (void)an, (void)b, (void)bn, (void)cb, (void)arg;
	g_system_cb_calls++;
	return 0;
}

static int system_memzero(struct spdk_memory_domain *d, void *dctx, struct iovec *iov, uint32_t n,
			  spdk_memory_domain_data_cpl_cb cb, void *arg)
{
	(void)d, (void)dctx, (void)iov, (void)n, (void)cb, (void)arg;
	g_system_cb_calls++;
	return 0;
}

static void system_invalidate(struct spdk_memory_domain *d, void *dctx, struct iovec *iov, uint32_t n)
{
	(void)d, (void)dctx, (void)iov, (void)n;
	g_system_cb_calls++;
}

static void cpl_never(void *ctx, int rc)
{
	(void)ctx, (void)rc;
	g_system_cb_calls += 1000;
}

/* Every operation of the system domain, in every role: -ENOTSUP and no callback. */
static void check_operations_not_supported(struct spdk_memory_domain *sys, struct spdk_memory_domain *other)
{
	char buf[64];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct spdk_memory_domain_translation_result result = { .size = sizeof(result) };

	CHECK_INT(spdk_memory_domain_pull_data(sys, NULL, &iov, 1, &iov, 1, cpl_never, NULL), -ENOTSUP);
	CHECK_INT(spdk_memory_domain_push_data(sys, NULL, &iov, 1, &iov, 1, cpl_never, NULL), -ENOTSUP);
	CHECK_INT(spdk_memory_domain_transfer_data(sys, NULL, &iov, 1, other, NULL, &iov, 1, NULL, cpl_never, NULL), -ENOTSUP);
	CHECK_INT(spdk_memory_domain_transfer_data(sys, NULL, &iov, 1, sys, NULL, &iov, 1, NULL, cpl_never, NULL), -ENOTSUP);
	CHECK_INT(spdk_memory_domain_translate_data(sys, NULL, other, NULL, buf, sizeof(buf), &result), -ENOTSUP);
	CHECK_INT(spdk_memory_domain_translate_data(sys, NULL, sys, NULL, buf, sizeof(buf), &result), -ENOTSUP);
	CHECK_INT(spdk_memory_domain_memzero(sys, NULL, &iov, 1, cpl_never, NULL), -ENOTSUP);
	spdk_memory_domain_invalidate_data(sys, NULL, &iov, 1);
	CHECK_INT(g_system_cb_calls, 0);
}

void conf_system_domain(void)
{
	struct spdk_memory_domain *first;
	struct spdk_memory_domain *sys;
	struct spdk_memory_domain *other;
	size_t size = 12345;

	conf_section("system domain exists from load time");
	first = spdk_memory_domain_get_first(NULL);
	sys = spdk_memory_domain_get_system_domain();
	CHECK(first != NULL);
	CHECK_PTR(first, sys);
	CHECK_PTR(spdk_memory_domain_get_system_domain(), sys);
	CHECK_PTR(spdk_memory_domain_get_next(sys, NULL), NULL);
	CHECK_INT(conf_registry_count(NULL), 1);

	conf_section("system domain attributes");
	CHECK_INT(spdk_memory_domain_get_dma_device_type(sys), SPDK_DMA_DEVICE_TYPE_DMA);
	CHECK_STR(spdk_memory_domain_get_dma_device_id(sys), "system");
	CHECK_PTR(spdk_memory_domain_get_first("system"), sys);
	CHECK_PTR(spdk_memory_domain_get_first("System"), NULL);
	CHECK_PTR(spdk_memory_domain_get_context(sys), NULL);
	CHECK_PTR(spdk_memory_domain_get_user_context(sys, &size), NULL);
	CHECK_INT(size, 12345);

	conf_section("system domain operations are not supported");
	other = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-system-other");
	check_operations_not_supported(sys, other);
	/* Setting callbacks does not change that. */
	spdk_memory_domain_set_pull(sys, system_pull);
	spdk_memory_domain_set_memzero(sys, system_memzero);
	spdk_memory_domain_set_invalidate(sys, system_invalidate);
	check_operations_not_supported(sys, other);

	conf_section("system domain survives destroy");
	spdk_memory_domain_destroy(sys);
	CHECK_PTR(spdk_memory_domain_get_system_domain(), sys);
	CHECK_PTR(spdk_memory_domain_get_first(NULL), sys);
	CHECK_PTR(spdk_memory_domain_get_first("system"), sys);
	CHECK_STR(spdk_memory_domain_get_dma_device_id(sys), "system");
	CHECK_INT(spdk_memory_domain_get_dma_device_type(sys), SPDK_DMA_DEVICE_TYPE_DMA);
	CHECK_PTR(spdk_memory_domain_get_next(sys, NULL), other);
	spdk_memory_domain_destroy(sys);
	CHECK_INT(conf_registry_count(NULL), 2);

	conf_section("a domain may reuse the id \"system\"");
	{
		struct spdk_memory_domain *twin = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "system");

		CHECK_PTR(spdk_memory_domain_get_first("system"), sys);
		CHECK_PTR(spdk_memory_domain_get_next(sys, "system"), twin);
		CHECK_PTR(spdk_memory_domain_get_system_domain(), sys);
		spdk_memory_domain_destroy(twin);
	}
	spdk_memory_domain_destroy(other);
	CHECK_INT(conf_registry_count(NULL), 1);
}
