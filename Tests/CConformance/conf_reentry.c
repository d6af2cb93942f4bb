/*
 * Conformance: callbacks run with no library lock held, so a callback may call back into
 * the library — create, destroy, walk the registry, read its own domain's context, set
 * callbacks and dispatch on other domains — without deadlocking (a deadlock trips the
 * watchdog in main and the program fails).
 */
#include "conf_recorder.h"

#include <errno.h>
#include <string.h>

/** What the re-entrant callbacks observed from inside. */
static struct {
	int calls;
	int create_rc;
	bool found_inner;
	bool walk_ok;
	size_t registry_count;
	struct spdk_memory_domain_ctx *ctx;
	void *user_ctx;
	size_t user_ctx_size;
	const char *id;
	int nested_rc;
	int nested_calls;
	bool inner_gone;
} g_seen;

static int reentrant_pull(struct spdk_memory_domain *d, void *dctx, struct iovec *a, uint32_t an, struct iovec *b,
			  uint32_t bn, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	struct spdk_memory_domain *inner = NULL;

	(void)dctx, (void)a, (void)an, (void)b, (void)bn;
	g_seen.calls++;
	/* SPDK pattern: a domain's callback looks up its own context. */
	g_seen.ctx = spdk_memory_domain_get_context(d);
	g_seen.user_ctx = spdk_memory_domain_get_user_context(d, &g_seen.user_ctx_size);
	g_seen.id = spdk_memory_domain_get_dma_device_id(d);
	/* Registry changes from inside a callback. */
	g_seen.create_rc = spdk_memory_domain_create(&inner, SPDK_DMA_DEVICE_TYPE_DMA, NULL, "conf-reentry-inner");
	g_seen.found_inner = inner != NULL && spdk_memory_domain_get_first("conf-reentry-inner") == inner;
	g_seen.walk_ok = spdk_memory_domain_get_first(NULL) == spdk_memory_domain_get_system_domain() &&
			 spdk_memory_domain_get_next(d, "conf-reentry-inner") == inner;
	g_seen.registry_count = conf_registry_count(NULL);
	/* Dispatch on another domain from inside a callback. */
	spdk_memory_domain_set_push(inner, rec_push_a);
	rec_reset(-EAGAIN, false, 0);
	g_seen.nested_rc = spdk_memory_domain_push_data(inner, NULL, NULL, 0, NULL, 0, NULL, NULL);
	g_seen.nested_calls = g_rec.calls;
	spdk_memory_domain_destroy(inner);
	g_seen.inner_gone = spdk_memory_domain_get_first("conf-reentry-inner") == NULL;
	cpl_cb(cpl_cb_arg, 0);
	return 0;
}

/* Translate that translates through another domain first (a stacked domain). */
static struct spdk_memory_domain *g_lower;

static int stacked_translate(struct spdk_memory_domain *src, void *sctx, struct spdk_memory_domain *dst,
			     struct spdk_memory_domain_translation_ctx *dctx, void *addr, size_t len,
			     struct spdk_memory_domain_translation_result *result)
{
	(void)src, (void)sctx;
	g_seen.calls++;
	return spdk_memory_domain_translate_data(g_lower, NULL, dst, dctx, addr, len, result);
}

/* Memzero that replaces a domain of the registry while it runs. */
static struct spdk_memory_domain *g_victim;

static int churning_memzero(struct spdk_memory_domain *d, void *dctx, struct iovec *iov, uint32_t n,
			    spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)d, (void)dctx, (void)iov, (void)n, (void)cpl_cb, (void)cpl_cb_arg;
	g_seen.calls++;
	spdk_memory_domain_destroy(g_victim);
	g_victim = NULL;
	g_seen.create_rc = spdk_memory_domain_create(&g_victim, SPDK_DMA_DEVICE_TYPE_ACCEL, NULL, "conf-reentry-victim");
	return -ECANCELED;
}

static void counting_invalidate(struct spdk_memory_domain *d, void *dctx, struct iovec *iov, uint32_t n)
{
	(void)d, (void)dctx, (void)iov, (void)n;
	g_seen.calls++;
	g_seen.registry_count = conf_registry_count(NULL);
	spdk_memory_domain_set_invalidate(d, NULL); /* clearing its own callback from inside it */
}

static void done(void *arg, int rc)
{
	int *slot = arg;

	*slot = rc + 1000;
}

void conf_reentry(void)
{
	char user[8] = "reentry";
	struct spdk_memory_domain_ctx ctx = { .size = sizeof(ctx), .user_ctx = user, .user_ctx_size = sizeof(user) };
	struct spdk_memory_domain *outer = NULL;
	struct spdk_memory_domain *upper = conf_create(SPDK_DMA_DEVICE_TYPE_ACCEL, "conf-reentry-upper");
	struct spdk_memory_domain_translation_result result = { .size = sizeof(result) };
	int completion = 0;

	conf_section("re-entry: create, walk, dispatch and destroy from inside a pull callback");
	CHECK_INT(spdk_memory_domain_create(&outer, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, "conf-reentry-outer"), 0);
	spdk_memory_domain_set_pull(outer, reentrant_pull);
	memset(&g_seen, 0, sizeof(g_seen));
	CHECK_INT(spdk_memory_domain_pull_data(outer, NULL, NULL, 0, NULL, 0, done, &completion), 0);
	CHECK_INT(completion, 1000);
	CHECK_INT(g_seen.calls, 1);
	CHECK_PTR(g_seen.ctx, spdk_memory_domain_get_context(outer));
	CHECK(g_seen.ctx != NULL && g_seen.ctx != &ctx);
	CHECK(g_seen.user_ctx != NULL && g_seen.user_ctx != user);
	CHECK_INT(g_seen.user_ctx_size, sizeof(user));
	CHECK(g_seen.user_ctx != NULL && memcmp(g_seen.user_ctx, "reentry", 8) == 0);
	CHECK_STR(g_seen.id, "conf-reentry-outer");
	CHECK_INT(g_seen.create_rc, 0);
	CHECK(g_seen.found_inner);
	CHECK(g_seen.walk_ok);
	CHECK_INT(g_seen.registry_count, 4);
	CHECK_INT(g_seen.nested_rc, -EAGAIN);
	CHECK_INT(g_seen.nested_calls, 1);
	CHECK(g_seen.inner_gone);
	CHECK_INT(conf_registry_count(NULL), 3);

	conf_section("re-entry: a translate callback that translates through another domain");
	g_lower = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-reentry-lower");
	spdk_memory_domain_set_translation(g_lower, rec_translate_b);
	spdk_memory_domain_set_translation(upper, stacked_translate);
	memset(&g_seen, 0, sizeof(g_seen));
	rec_reset(0, false, 0);
	CHECK_INT(spdk_memory_domain_translate_data(upper, NULL, outer, NULL, user, sizeof(user), &result), 0);
	CHECK_INT(g_seen.calls, 1);
	CHECK_INT(g_rec.calls, 1);
	CHECK_PTR(g_rec.domain, g_lower);
	CHECK_PTR(result.dst_domain, outer);
	CHECK_INT(result.rdma.lkey, 0xB000);

	conf_section("re-entry: destroy and create from inside a memzero callback");
	g_victim = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-reentry-victim");
	spdk_memory_domain_set_memzero(upper, churning_memzero);
	memset(&g_seen, 0, sizeof(g_seen));
	CHECK_INT(spdk_memory_domain_memzero(upper, NULL, NULL, 0, done, &completion), -ECANCELED);
	CHECK_INT(g_seen.calls, 1);
	CHECK_INT(g_seen.create_rc, 0);
	CHECK_PTR(spdk_memory_domain_get_first("conf-reentry-victim"), g_victim);
	CHECK_INT(conf_registry_index(g_victim), conf_registry_count(NULL) - 1);

	conf_section("re-entry: an invalidate callback that walks and clears itself");
	spdk_memory_domain_set_invalidate(upper, counting_invalidate);
	memset(&g_seen, 0, sizeof(g_seen));
	spdk_memory_domain_invalidate_data(upper, NULL, NULL, 0);
	spdk_memory_domain_invalidate_data(upper, NULL, NULL, 0);
	CHECK_INT(g_seen.calls, 1);
	CHECK_INT(g_seen.registry_count, 5);

	spdk_memory_domain_destroy(g_victim);
	spdk_memory_domain_destroy(g_lower);
	spdk_memory_domain_destroy(upper);
	spdk_memory_domain_destroy(outer);
	CHECK_INT(conf_registry_count(NULL), 1);
}
