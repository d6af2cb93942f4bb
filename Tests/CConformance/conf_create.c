/*
 * Conformance: spdk_memory_domain_create's argument rules and errors, the id copy,
 * duplicate and missing ids, and destroy (NULL, unlinking).
 */
#include "conformance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL ((struct spdk_memory_domain *)CONF_TAG(1))

static void check_errors(void)
{
	struct spdk_memory_domain *domain = SENTINEL;
	struct spdk_memory_domain_ctx ctx = { .size = 0 };
	char user[16] = "user";

	conf_section("create: invalid arguments");
	CHECK_INT(spdk_memory_domain_create(NULL, SPDK_DMA_DEVICE_TYPE_DMA, NULL, "conf-create-null"), -EINVAL);
	CHECK_INT(spdk_memory_domain_create(NULL, SPDK_DMA_DEVICE_TYPE_DMA, NULL, NULL), -EINVAL);
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_DMA, &ctx, "conf-create-size0"), -EINVAL);
	CHECK_PTR(domain, SENTINEL);
	ctx.user_ctx = user;
	ctx.user_ctx_size = sizeof(user);
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, NULL), -EINVAL);
	CHECK_PTR(domain, SENTINEL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-null"), NULL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-size0"), NULL);
	CHECK_INT(conf_registry_count(NULL), 1);

	conf_section("create: allocation failure is -ENOMEM and leaves nothing behind");
	ctx.size = sizeof(ctx);
	ctx.user_ctx_size = SIZE_MAX / 2;
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, "conf-create-enomem"), -ENOMEM);
	CHECK_PTR(domain, SENTINEL);
	ctx.user_ctx_size = SIZE_MAX;
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, "conf-create-enomem"), -ENOMEM);
	CHECK_PTR(domain, SENTINEL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-enomem"), NULL);
	CHECK_INT(conf_registry_count(NULL), 1);
	/* The library still works after the failure. */
	ctx.user_ctx_size = sizeof(user);
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, "conf-create-enomem"), 0);
	CHECK(domain != SENTINEL && domain != NULL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-enomem"), domain);
	spdk_memory_domain_destroy(domain);
}

static void check_minimal_and_ids(void)
{
	struct spdk_memory_domain *a = NULL;
	struct spdk_memory_domain *b = NULL;
	struct spdk_memory_domain *c = NULL;
	char id[32] = "conf-create-id";
	char *long_id;
	size_t size = 777;

	conf_section("create: no context, no id");
	CHECK_INT(spdk_memory_domain_create(&a, SPDK_DMA_DEVICE_TYPE_DMA, NULL, NULL), 0);
	CHECK(a != NULL);
	CHECK(a != spdk_memory_domain_get_system_domain());
	CHECK_STR(spdk_memory_domain_get_dma_device_id(a), NULL);
	CHECK_INT(spdk_memory_domain_get_dma_device_type(a), SPDK_DMA_DEVICE_TYPE_DMA);
	CHECK_PTR(spdk_memory_domain_get_context(a), NULL);
	CHECK_PTR(spdk_memory_domain_get_user_context(a, &size), NULL);
	CHECK_INT(size, 777);
	CHECK_INT(conf_registry_index(a), 1);

	conf_section("create: the id is copied");
	CHECK_INT(spdk_memory_domain_create(&b, SPDK_DMA_DEVICE_TYPE_RDMA, NULL, id), 0);
	CHECK(spdk_memory_domain_get_dma_device_id(b) != id);
	memcpy(id, "conf-create-XX", 15);
	CHECK_STR(spdk_memory_domain_get_dma_device_id(b), "conf-create-id");
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-id"), b);
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-XX"), NULL);

	conf_section("create: duplicate ids are allowed");
	CHECK_INT(spdk_memory_domain_create(&c, SPDK_DMA_DEVICE_TYPE_RDMA, NULL, "conf-create-id"), 0);
	CHECK(c != b);
	CHECK_STR(spdk_memory_domain_get_dma_device_id(c), "conf-create-id");
	CHECK(spdk_memory_domain_get_dma_device_id(c) != spdk_memory_domain_get_dma_device_id(b));
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-id"), b);
	CHECK_PTR(spdk_memory_domain_get_next(b, "conf-create-id"), c);
	CHECK_INT(conf_registry_count("conf-create-id"), 2);

	conf_section("create: empty and long ids");
	{
		struct spdk_memory_domain *empty = conf_create(SPDK_DMA_DEVICE_TYPE_ACCEL, "");
		struct spdk_memory_domain *longer = NULL;

		CHECK_STR(spdk_memory_domain_get_dma_device_id(empty), "");
		CHECK_PTR(spdk_memory_domain_get_first(""), empty);
		CHECK_INT(conf_registry_count(""), 1);
		long_id = malloc(4097);
		if (CHECK(long_id != NULL)) {
			memset(long_id, 'L', 4096);
			long_id[4096] = '\0';
			longer = conf_create(SPDK_DMA_DEVICE_TYPE_ACCEL, long_id);
			CHECK_STR(spdk_memory_domain_get_dma_device_id(longer), long_id);
			CHECK_PTR(spdk_memory_domain_get_first(long_id), longer);
			long_id[4095] = '\0';
			CHECK_PTR(spdk_memory_domain_get_first(long_id), NULL);
			free(long_id);
		}
		spdk_memory_domain_destroy(longer);
		spdk_memory_domain_destroy(empty);
	}

	conf_section("destroy");
	spdk_memory_domain_destroy(NULL);
	CHECK_INT(conf_registry_count(NULL), 4);
	spdk_memory_domain_destroy(b);
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-id"), c);
	CHECK_INT(conf_registry_index(c), 2);
	CHECK_INT(conf_registry_count(NULL), 3);
	spdk_memory_domain_destroy(a);
	CHECK_INT(conf_registry_index(c), 1);
	spdk_memory_domain_destroy(c);
	CHECK_PTR(spdk_memory_domain_get_first("conf-create-id"), NULL);
	CHECK_INT(conf_registry_count(NULL), 1);
}

/* Many creations: every pointer is distinct and the registry keeps all of them in order. */
static void check_many(void)
{
	enum { COUNT = 64 };
	struct spdk_memory_domain *domains[COUNT];
	bool distinct = true;
	bool ordered = true;
	struct spdk_memory_domain *cursor;

	conf_section("create: many domains, distinct, in creation order");
	for (int i = 0; i < COUNT; i++) {
		domains[i] = NULL;
		CHECK_INT(spdk_memory_domain_create(&domains[i], (enum spdk_dma_device_type)(i % 3), NULL,
						    i % 2 ? "conf-many-odd" : "conf-many-even"), 0);
		for (int j = 0; j < i; j++) {
			distinct = distinct && domains[j] != domains[i];
		}
	}
	CHECK(distinct);
	cursor = spdk_memory_domain_get_next(spdk_memory_domain_get_system_domain(), NULL);
	for (int i = 0; i < COUNT; i++, cursor = spdk_memory_domain_get_next(cursor, NULL)) {
		ordered = ordered && cursor == domains[i];
	}
	CHECK(ordered);
	CHECK_PTR(cursor, NULL);
	CHECK_INT(conf_registry_count("conf-many-odd"), COUNT / 2);
	CHECK_INT(conf_registry_count("conf-many-even"), COUNT / 2);
	for (int i = 0; i < COUNT; i++) {
		CHECK_INT(spdk_memory_domain_get_dma_device_type(domains[i]), i % 3);
	}
	/* Destroy in an interleaved order; the rest stays ordered. */
	for (int i = 0; i < COUNT; i += 2) {
		spdk_memory_domain_destroy(domains[i]);
	}
	CHECK_INT(conf_registry_count("conf-many-even"), 0);
	CHECK_INT(conf_registry_count("conf-many-odd"), COUNT / 2);
	CHECK_PTR(spdk_memory_domain_get_first("conf-many-odd"), domains[1]);
	CHECK_PTR(spdk_memory_domain_get_next(domains[1], NULL), domains[3]);
	for (int i = 1; i < COUNT; i += 2) {
		spdk_memory_domain_destroy(domains[i]);
	}
	CHECK_INT(conf_registry_count(NULL), 1);
}

void conf_create_rules(void)
{
	check_errors();
	check_minimal_and_ids();
	check_many();
}
