/*
 * Conformance: enum values, the RDMA id macro, LP64 struct layouts, device types
 * stored as given by create and returned by get_dma_device_type, and their names.
 */
#include "conformance.h"

#include <limits.h>
#include <string.h>

static void check_type_round_trip(unsigned int value)
{
	enum spdk_dma_device_type type = (enum spdk_dma_device_type)value;
	struct spdk_memory_domain *domain = conf_create(type, "conf-types");

	if (domain == NULL) {
		return;
	}
	CHECK_INT((unsigned int)spdk_memory_domain_get_dma_device_type(domain), value);
	spdk_memory_domain_destroy(domain);
}

void conf_types(void)
{
	conf_section("enum values and SPDK_RDMA_DMA_DEVICE");
	CHECK_INT(SPDK_DMA_DEVICE_TYPE_RDMA, 0);
	CHECK_INT(SPDK_DMA_DEVICE_TYPE_DMA, 1);
	CHECK_INT(SPDK_DMA_DEVICE_TYPE_ACCEL, 2);
	CHECK_INT(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START, 1000);
	CHECK_INT(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END, 1999);
	CHECK_INT(sizeof(enum spdk_dma_device_type), 4);
	CHECK_STR(SPDK_RDMA_DMA_DEVICE, "SPDK_RDMA_DMA_DEVICE");

	conf_section("LP64 layouts");
	CHECK_INT(sizeof(struct spdk_memory_domain_ctx), 24);
	CHECK_INT(offsetof(struct spdk_memory_domain_ctx, size), 0);
	CHECK_INT(offsetof(struct spdk_memory_domain_ctx, user_ctx), 8);
	CHECK_INT(offsetof(struct spdk_memory_domain_ctx, user_ctx_size), 16);
	CHECK_INT(sizeof(struct spdk_memory_domain_rdma_ctx), 16);
	CHECK_INT(offsetof(struct spdk_memory_domain_rdma_ctx, ibv_pd), 8);
	CHECK_INT(sizeof(struct spdk_memory_domain_translation_ctx), 16);
	CHECK_INT(offsetof(struct spdk_memory_domain_translation_ctx, rdma.ibv_qp), 8);
	CHECK_INT(sizeof(struct spdk_memory_domain_translation_result), 56);
	CHECK_INT(offsetof(struct spdk_memory_domain_translation_result, iov_count), 8);
	CHECK_INT(offsetof(struct spdk_memory_domain_translation_result, iov), 16);
	CHECK_INT(offsetof(struct spdk_memory_domain_translation_result, iovs), 32);
	CHECK_INT(offsetof(struct spdk_memory_domain_translation_result, dst_domain), 40);
	CHECK_INT(offsetof(struct spdk_memory_domain_translation_result, rdma.lkey), 48);
	CHECK_INT(offsetof(struct spdk_memory_domain_translation_result, rdma.rkey), 52);

	conf_section("device types are stored as given");
	check_type_round_trip(SPDK_DMA_DEVICE_TYPE_RDMA);
	check_type_round_trip(SPDK_DMA_DEVICE_TYPE_DMA);
	check_type_round_trip(SPDK_DMA_DEVICE_TYPE_ACCEL);
	check_type_round_trip(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START);
	check_type_round_trip(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 1);
	check_type_round_trip(1500);
	check_type_round_trip(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END);
	/* Values outside the named ones are stored as given too. */
	check_type_round_trip(3);
	check_type_round_trip(999);
	check_type_round_trip(2000);
	check_type_round_trip(INT_MAX);
	check_type_round_trip(UINT_MAX);
	CHECK_INT(conf_registry_count(NULL), 1);

	conf_section("device type names");
	CHECK_STR(spdk_dma_device_type_get_name(SPDK_DMA_DEVICE_TYPE_RDMA), "RDMA");
	CHECK_STR(spdk_dma_device_type_get_name(SPDK_DMA_DEVICE_TYPE_DMA), "DMA");
	CHECK_STR(spdk_dma_device_type_get_name(SPDK_DMA_DEVICE_TYPE_ACCEL), "ACCEL");
	CHECK_STR(spdk_dma_device_type_get_name(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START), "VENDOR_SPECIFIC");
	CHECK_STR(spdk_dma_device_type_get_name((enum spdk_dma_device_type)1500), "VENDOR_SPECIFIC");
	CHECK_STR(spdk_dma_device_type_get_name(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END), "VENDOR_SPECIFIC");
	CHECK_STR(spdk_dma_device_type_get_name((enum spdk_dma_device_type)3), "UNKNOWN");
	CHECK_STR(spdk_dma_device_type_get_name((enum spdk_dma_device_type)999), "UNKNOWN");
	CHECK_STR(spdk_dma_device_type_get_name((enum spdk_dma_device_type)2000), "UNKNOWN");
	CHECK_STR(spdk_dma_device_type_get_name((enum spdk_dma_device_type)UINT_MAX), "UNKNOWN");
	CHECK_PTR(spdk_dma_device_type_get_name(SPDK_DMA_DEVICE_TYPE_DMA), spdk_dma_device_type_get_name(SPDK_DMA_DEVICE_TYPE_DMA));
}
