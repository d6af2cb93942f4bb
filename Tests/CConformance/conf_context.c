/*
 * Conformance: the context given to create is copied — min(sizeof, ctx->size) bytes into a
 * zeroed library-owned struct whose size is that clamped value — and the user context is
 * copied only when user_ctx is not NULL and ctx->size covers user_ctx_size.
 */
#include "conformance.h"

#include <stdlib.h>
#include <string.h>

#define CTX_FULL sizeof(struct spdk_memory_domain_ctx)
#define CTX_COVERS_USER_SIZE (offsetof(struct spdk_memory_domain_ctx, user_ctx_size) + sizeof(size_t))

/* SPDK's RDMA pattern: the user context is a spdk_memory_domain_rdma_ctx holding the PD. */
static void check_rdma_pattern(void)
{
	struct spdk_memory_domain_rdma_ctx rdma = { .size = sizeof(rdma), .ibv_pd = CONF_TAG(7) };
	struct spdk_memory_domain_ctx ctx = { .size = sizeof(ctx), .user_ctx = &rdma, .user_ctx_size = sizeof(rdma) };
	struct spdk_memory_domain *domain = NULL;
	struct spdk_memory_domain_ctx *copy;
	struct spdk_memory_domain_rdma_ctx *user;
	size_t size = 0;

	conf_section("context: the RDMA user-context pattern");
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, SPDK_RDMA_DMA_DEVICE), 0);
	copy = spdk_memory_domain_get_context(domain);
	CHECK(copy != NULL);
	CHECK(copy != &ctx);
	CHECK_PTR(spdk_memory_domain_get_context(domain), copy);
	if (copy != NULL) {
		CHECK_INT(copy->size, sizeof(ctx));
		CHECK_PTR(copy->user_ctx, &rdma); /* a byte copy: still the caller's pointer */
		CHECK_INT(copy->user_ctx_size, sizeof(rdma));
	}
	user = spdk_memory_domain_get_user_context(domain, &size);
	CHECK(user != NULL);
	CHECK((void *)user != (void *)&rdma);
	CHECK_INT(size, sizeof(rdma));
	if (user != NULL) {
		CHECK_INT(user->size, sizeof(rdma));
		CHECK_PTR(user->ibv_pd, CONF_TAG(7));
	}
	/* The caller's structs may change or go away; the copies do not follow. */
	rdma.ibv_pd = CONF_TAG(8);
	ctx.user_ctx_size = 1;
	ctx.size = 1;
	if (user != NULL && copy != NULL) {
		CHECK_PTR(user->ibv_pd, CONF_TAG(7));
		CHECK_INT(copy->size, sizeof(ctx));
		CHECK_INT(copy->user_ctx_size, sizeof(rdma));
	}
	CHECK_PTR(spdk_memory_domain_get_user_context(domain, &size), user);
	CHECK_PTR(spdk_memory_domain_get_first(SPDK_RDMA_DMA_DEVICE), domain);
	spdk_memory_domain_destroy(domain);
}

/* ctx->size == n (1 ≤ n ≤ 40): the copy holds exactly the first min(24, n) bytes. */
static void check_clamped_copy(size_t n)
{
	unsigned char user_bytes[32];
	struct {
		struct spdk_memory_domain_ctx ctx;
		unsigned char tail[16];
	} given;
	struct spdk_memory_domain_ctx expected;
	struct spdk_memory_domain_ctx *copy;
	struct spdk_memory_domain *domain = NULL;
	size_t clamped = n < CTX_FULL ? n : CTX_FULL;
	size_t size = 4242;
	void *user;

	for (size_t i = 0; i < sizeof(user_bytes); i++) {
		user_bytes[i] = (unsigned char)(n * 7 + i);
	}
	memset(&given, 0xA5, sizeof(given));
	given.ctx.size = n;
	given.ctx.user_ctx = user_bytes;
	/* When the field is only partly covered, set high bits too, so that a partial copy of it
	 * is visible; when it is covered, it is the real size of user_bytes. */
	given.ctx.user_ctx_size = n >= CTX_COVERS_USER_SIZE ? sizeof(user_bytes) : ((size_t)0x77 << 32) | sizeof(user_bytes);
	memset(&expected, 0, sizeof(expected));
	memcpy(&expected, &given.ctx, clamped);
	expected.size = clamped;

	if (!CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_ACCEL, &given.ctx, "conf-ctx-clamp"), 0)) {
		return;
	}
	copy = spdk_memory_domain_get_context(domain);
	if (CHECK(copy != NULL && copy != &given.ctx)) {
		CHECK_INT(copy->size, clamped);
		CHECK_PTR(copy->user_ctx, expected.user_ctx);
		CHECK_INT(copy->user_ctx_size, expected.user_ctx_size);
	}
	user = spdk_memory_domain_get_user_context(domain, &size);
	if (n >= CTX_COVERS_USER_SIZE) {
		CHECK(user != NULL && user != user_bytes);
		CHECK_INT(size, given.ctx.user_ctx_size);
		CHECK(user == NULL || memcmp(user, user_bytes, sizeof(user_bytes)) == 0);
	} else {
		CHECK_PTR(user, NULL);
		CHECK_INT(size, 4242);
	}
	spdk_memory_domain_destroy(domain);
}

static void check_user_context_rules(void)
{
	struct spdk_memory_domain_ctx ctx = { .size = sizeof(ctx), .user_ctx = NULL, .user_ctx_size = 100 };
	struct spdk_memory_domain *domain = NULL;
	size_t size = 31;
	unsigned char *big;
	unsigned char *copy;
	char one = 'x';

	conf_section("context: user_ctx NULL means no user context");
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_DMA, &ctx, "conf-ctx-user"), 0);
	CHECK_PTR(spdk_memory_domain_get_user_context(domain, &size), NULL);
	CHECK_INT(size, 31);
	CHECK(spdk_memory_domain_get_context(domain) != NULL);
	CHECK_INT(spdk_memory_domain_get_context(domain)->user_ctx_size, 100);
	spdk_memory_domain_destroy(domain);

	conf_section("context: user_ctx set with user_ctx_size 0 means no user context (as in SPDK)");
	ctx.user_ctx = &one;
	ctx.user_ctx_size = 0;
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_DMA, &ctx, "conf-ctx-user"), 0);
	CHECK_PTR(spdk_memory_domain_get_user_context(domain, &size), NULL);
	CHECK_INT(size, 31);
	CHECK(spdk_memory_domain_get_context(domain) != NULL);
	CHECK_PTR(spdk_memory_domain_get_context(domain)->user_ctx, &one);
	CHECK_INT(spdk_memory_domain_get_context(domain)->user_ctx_size, 0);
	spdk_memory_domain_destroy(domain);

	conf_section("context: a 1 MiB user context is copied in full");
	big = malloc(1 << 20);
	if (!CHECK(big != NULL)) {
		return;
	}
	for (size_t i = 0; i < (1u << 20); i++) {
		big[i] = (unsigned char)(i ^ (i >> 8));
	}
	ctx.user_ctx = big;
	ctx.user_ctx_size = 1 << 20;
	CHECK_INT(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_DMA, &ctx, "conf-ctx-user"), 0);
	copy = spdk_memory_domain_get_user_context(domain, &size);
	CHECK(copy != NULL && copy != big);
	CHECK_INT(size, 1 << 20);
	CHECK(copy != NULL && memcmp(copy, big, 1 << 20) == 0);
	free(big);
	if (copy != NULL) {
		bool intact = true;

		for (size_t i = 0; i < (1u << 20); i++) {
			intact = intact && copy[i] == (unsigned char)(i ^ (i >> 8));
		}
		CHECK(intact);
	}
	spdk_memory_domain_destroy(domain);
}

void conf_context_copy(void)
{
	check_rdma_pattern();
	conf_section("context: min(sizeof, ctx->size) bytes are copied, for every size 1...40");
	for (size_t n = 1; n <= 40; n++) {
		check_clamped_copy(n);
	}
	check_user_context_rules();
	CHECK_INT(conf_registry_count(NULL), 1);
}
