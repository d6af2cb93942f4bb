/*
 * Conformance: pointers to destroyed domains. get_next continues from a destroyed domain with
 * the first domain created after it that still exists; destroy and the setters ignore it;
 * dispatch through it is -ENOTSUP; the accessors still read it for the 1024 destroys of its
 * quarantine, during which no new domain gets its address; pointers that were never domains
 * are never dereferenced. The program is single-threaded here, so destroy counts are exact.
 */
#include "conformance.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/** The quarantine and graveyard sizes spdk/dma.h states. */
#define QUARANTINE 1024
#define GRAVEYARD 16384

static int completing_pull(struct spdk_memory_domain *d, void *dctx, struct iovec *a, uint32_t an, struct iovec *b,
			   uint32_t bn, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)d, (void)dctx, (void)a, (void)an, (void)b, (void)bn;
	cpl_cb(cpl_cb_arg, 0);
	return 0;
}

static void count_completion(void *arg, int rc)
{
	*(int *)arg += rc == 0;
}

/* Creates and destroys `count` domains; checks that none of them gets the address `avoid`. */
static void churn(int count, struct spdk_memory_domain *avoid)
{
	int reused = 0;

	for (int i = 0; i < count; i++) {
		struct spdk_memory_domain *d = NULL;

		if (spdk_memory_domain_create(&d, SPDK_DMA_DEVICE_TYPE_DMA, NULL, "conf-dead-churn") != 0) {
			conf_check(false, "create succeeds while churning", __FILE__, __LINE__);
			return;
		}
		reused += d == avoid;
		spdk_memory_domain_destroy(d);
	}
	CHECK_INT(reused, 0);
}

static void check_successors(void)
{
	struct spdk_memory_domain *sys = spdk_memory_domain_get_system_domain();
	struct spdk_memory_domain *a, *b, *none, *c, *d, *appended;

	conf_section("destroyed: get_next continues with the first later domain that still exists");
	a = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-dead");
	b = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-dead");
	none = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, NULL);
	c = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-dead");
	d = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-dead-other");
	spdk_memory_domain_destroy(b);
	CHECK_PTR(spdk_memory_domain_get_next(b, NULL), none);
	CHECK_PTR(spdk_memory_domain_get_next(b, "conf-dead"), c);
	CHECK_PTR(spdk_memory_domain_get_next(b, "conf-dead-other"), d);
	CHECK_PTR(spdk_memory_domain_get_next(b, "conf-dead-none"), NULL);
	spdk_memory_domain_destroy(none);
	CHECK_PTR(spdk_memory_domain_get_next(b, NULL), c);
	CHECK_PTR(spdk_memory_domain_get_next(none, NULL), c);
	spdk_memory_domain_destroy(c);
	CHECK_PTR(spdk_memory_domain_get_next(b, NULL), d);
	CHECK_PTR(spdk_memory_domain_get_next(b, "conf-dead"), NULL);
	spdk_memory_domain_destroy(d);
	CHECK_PTR(spdk_memory_domain_get_next(b, NULL), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(d, NULL), NULL);
	appended = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-dead");
	CHECK_PTR(spdk_memory_domain_get_next(b, NULL), appended);
	CHECK_PTR(spdk_memory_domain_get_next(d, "conf-dead"), appended);
	spdk_memory_domain_destroy(a);
	CHECK_PTR(spdk_memory_domain_get_next(a, NULL), appended);
	CHECK_PTR(spdk_memory_domain_get_next(sys, NULL), appended);
	spdk_memory_domain_destroy(appended);
	CHECK_PTR(spdk_memory_domain_get_next(a, NULL), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(appended, "conf-dead"), NULL);
	CHECK_INT(conf_registry_count(NULL), 1);
}

static void check_quarantine(void)
{
	unsigned char user_bytes[40];
	struct spdk_memory_domain_ctx ctx = { .size = sizeof(ctx), .user_ctx = user_bytes, .user_ctx_size = sizeof(user_bytes) };
	struct spdk_memory_domain *d = NULL, *keep;
	struct spdk_memory_domain_ctx *context;
	void *user;
	size_t size = 0;
	int completed = 0;

	conf_section("destroyed: readable, not reused and not dispatching during its quarantine");
	for (size_t i = 0; i < sizeof(user_bytes); i++) {
		user_bytes[i] = (unsigned char)(3 * i + 1);
	}
	CHECK_INT(spdk_memory_domain_create(&d, SPDK_DMA_DEVICE_TYPE_ACCEL, &ctx, "conf-dead-quarantine"), 0);
	keep = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-dead-keep");
	if (d == NULL || keep == NULL) {
		return;
	}
	spdk_memory_domain_set_pull(d, completing_pull);
	CHECK_INT(spdk_memory_domain_pull_data(d, NULL, NULL, 0, NULL, 0, count_completion, &completed), 0);
	context = spdk_memory_domain_get_context(d);

	spdk_memory_domain_destroy(d);
	/* Destroying it again, or destroying something that is not a domain, frees nothing. */
	spdk_memory_domain_destroy(d);
	spdk_memory_domain_destroy((struct spdk_memory_domain *)CONF_TAG(1));
	CHECK_INT(conf_registry_count(NULL), 2);
	CHECK_INT(spdk_memory_domain_pull_data(d, NULL, NULL, 0, NULL, 0, count_completion, &completed), -ENOTSUP);
	spdk_memory_domain_set_pull(d, completing_pull);
	CHECK_INT(spdk_memory_domain_pull_data(d, NULL, NULL, 0, NULL, 0, count_completion, &completed), -ENOTSUP);
	CHECK_INT(completed, 1);

	/* One destroy short of the end of its quarantine: still allocated, still the same. */
	churn(QUARANTINE - 1, d);
	CHECK_STR(spdk_memory_domain_get_dma_device_id(d), "conf-dead-quarantine");
	CHECK_INT(spdk_memory_domain_get_dma_device_type(d), SPDK_DMA_DEVICE_TYPE_ACCEL);
	CHECK_PTR(spdk_memory_domain_get_context(d), context);
	user = spdk_memory_domain_get_user_context(d, &size);
	CHECK_INT(size, sizeof(user_bytes));
	CHECK(user != NULL && memcmp(user, user_bytes, sizeof(user_bytes)) == 0);
	CHECK_PTR(spdk_memory_domain_get_next(d, NULL), keep);
	spdk_memory_domain_destroy(d);
	CHECK_INT(conf_registry_count(NULL), 2);
	spdk_memory_domain_destroy(keep);
	CHECK_INT(conf_registry_count(NULL), 1);
}

/* A domain created at the address of one that left the quarantine is an ordinary live domain,
 * also after the old one's tombstone is dropped. Relies on the allocator handing the freed
 * address out again, which glibc does for a same-sized allocation; reported when it does not. */
static void check_reused_address(void)
{
	struct spdk_memory_domain *old = NULL, *reused = NULL, *after;

	conf_section("destroyed: a new domain at a freed domain's address is live");
	old = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-dead-old");
	if (old == NULL) {
		return;
	}
	spdk_memory_domain_destroy(old);
	for (int i = 0; i < 4 * QUARANTINE && reused == NULL; i++) {
		struct spdk_memory_domain *d = NULL;

		if (spdk_memory_domain_create(&d, SPDK_DMA_DEVICE_TYPE_DMA, NULL, "conf-dead-new") != 0 || d == NULL) {
			conf_check(false, "create succeeds while waiting for the address to be reused", __FILE__, __LINE__);
			return;
		}
		if (d == old) {
			reused = d;
			CHECK(i >= QUARANTINE); /* never while the old one is in its quarantine */
		} else {
			spdk_memory_domain_destroy(d);
		}
	}
	if (reused == NULL) {
		/* AddressSanitizer's allocator, for one, holds freed memory back for a long time. */
		printf("  note: the allocator did not reuse a freed domain's address; address reuse not checked\n");
		return;
	}
	after = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-dead-after");
	/* Past the whole graveyard: the old domain's tombstone is dropped, the new domain stays. */
	churn(GRAVEYARD + 16, NULL);
	CHECK_STR(spdk_memory_domain_get_dma_device_id(reused), "conf-dead-new");
	CHECK_PTR(spdk_memory_domain_get_next(reused, NULL), after);
	CHECK_PTR(spdk_memory_domain_get_first("conf-dead-new"), reused);
	spdk_memory_domain_set_pull(reused, completing_pull);
	{
		int completed = 0;

		CHECK_INT(spdk_memory_domain_pull_data(reused, NULL, NULL, 0, NULL, 0, count_completion, &completed), 0);
		CHECK_INT(completed, 1);
	}
	spdk_memory_domain_destroy(reused);
	CHECK_PTR(spdk_memory_domain_get_first("conf-dead-new"), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(reused, NULL), after);
	spdk_memory_domain_destroy(after);
	CHECK_INT(conf_registry_count(NULL), 1);
}

static void check_unknown_pointers(void)
{
	struct spdk_memory_domain *d;

	conf_section("destroyed: pointers that were never domains are not dereferenced");
	d = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-dead-anchor");
	for (unsigned n = 1; n <= 3; n++) {
		struct spdk_memory_domain *bogus = (struct spdk_memory_domain *)CONF_TAG(n);

		CHECK_PTR(spdk_memory_domain_get_next(bogus, NULL), NULL);
		CHECK_PTR(spdk_memory_domain_get_next(bogus, "conf-dead-anchor"), NULL);
		spdk_memory_domain_set_pull(bogus, completing_pull);
		spdk_memory_domain_set_translation(bogus, NULL);
		spdk_memory_domain_destroy(bogus);
	}
	CHECK_PTR(spdk_memory_domain_get_first("conf-dead-anchor"), d);
	spdk_memory_domain_destroy(d);
	CHECK_INT(conf_registry_count(NULL), 1);
}

void conf_destroyed(void)
{
	check_successors();
	check_quarantine();
	check_reused_address();
	check_unknown_pointers();
}
