/*
 * Conformance: which domain's callback each operation uses — pull the source's, push the
 * destination's, transfer the destination's, translate the source's, memzero and invalidate
 * the domain's own — and the setters: they overwrite, NULL clears, a NULL domain is
 * ignored, each sets only its own kind on its own domain. Unset is -ENOTSUP (invalidate:
 * nothing happens).
 */
#include "conf_recorder.h"

#include <errno.h>
#include <stdio.h>

/** One operation: how to set its callback and how to invoke it so that \b owner's runs. */
struct op {
	const char *name;
	void (*set)(struct spdk_memory_domain *domain, enum rec_variant variant);
	int (*invoke)(struct spdk_memory_domain *owner, struct spdk_memory_domain *other);
	bool returns_rc;
};

static char g_buf[256];
static struct iovec g_iov = { .iov_base = g_buf, .iov_len = sizeof(g_buf) };

static void set_pull(struct spdk_memory_domain *d, enum rec_variant v)
{
	spdk_memory_domain_set_pull(d, v == REC_A ? rec_pull_a : v == REC_B ? rec_pull_b : NULL);
}
static void set_push(struct spdk_memory_domain *d, enum rec_variant v)
{
	spdk_memory_domain_set_push(d, v == REC_A ? rec_push_a : v == REC_B ? rec_push_b : NULL);
}
static void set_transfer(struct spdk_memory_domain *d, enum rec_variant v)
{
	spdk_memory_domain_set_data_transfer(d, v == REC_A ? rec_transfer_a : v == REC_B ? rec_transfer_b : NULL);
}
static void set_translate(struct spdk_memory_domain *d, enum rec_variant v)
{
	spdk_memory_domain_set_translation(d, v == REC_A ? rec_translate_a : v == REC_B ? rec_translate_b : NULL);
}
static void set_invalidate(struct spdk_memory_domain *d, enum rec_variant v)
{
	spdk_memory_domain_set_invalidate(d, v == REC_A ? rec_invalidate_a : v == REC_B ? rec_invalidate_b : NULL);
}
static void set_memzero(struct spdk_memory_domain *d, enum rec_variant v)
{
	spdk_memory_domain_set_memzero(d, v == REC_A ? rec_memzero_a : v == REC_B ? rec_memzero_b : NULL);
}

static int invoke_pull(struct spdk_memory_domain *owner, struct spdk_memory_domain *other)
{
	(void)other;
	return spdk_memory_domain_pull_data(owner, NULL, &g_iov, 1, &g_iov, 1, rec_cpl, NULL);
}
static int invoke_push(struct spdk_memory_domain *owner, struct spdk_memory_domain *other)
{
	(void)other;
	return spdk_memory_domain_push_data(owner, NULL, &g_iov, 1, &g_iov, 1, rec_cpl, NULL);
}
static int invoke_transfer(struct spdk_memory_domain *owner, struct spdk_memory_domain *other)
{
	/* The owner is the destination. */
	return spdk_memory_domain_transfer_data(owner, NULL, &g_iov, 1, other, NULL, &g_iov, 1, NULL, rec_cpl, NULL);
}
static int invoke_translate(struct spdk_memory_domain *owner, struct spdk_memory_domain *other)
{
	/* The owner is the source. */
	struct spdk_memory_domain_translation_result result = { .size = sizeof(result) };

	return spdk_memory_domain_translate_data(owner, NULL, other, NULL, g_buf, sizeof(g_buf), &result);
}
static int invoke_invalidate(struct spdk_memory_domain *owner, struct spdk_memory_domain *other)
{
	(void)other;
	spdk_memory_domain_invalidate_data(owner, NULL, &g_iov, 1);
	return 0;
}
static int invoke_memzero(struct spdk_memory_domain *owner, struct spdk_memory_domain *other)
{
	(void)other;
	return spdk_memory_domain_memzero(owner, NULL, &g_iov, 1, rec_cpl, NULL);
}

static const struct op g_ops[] = {
	{ "pull", set_pull, invoke_pull, true },
	{ "push", set_push, invoke_push, true },
	{ "transfer", set_transfer, invoke_transfer, true },
	{ "translate", set_translate, invoke_translate, true },
	{ "invalidate", set_invalidate, invoke_invalidate, false },
	{ "memzero", set_memzero, invoke_memzero, true },
};
#define OP_COUNT (sizeof(g_ops) / sizeof(g_ops[0]))

/* Invokes op with owner/other and checks the outcome: which variant ran (REC_NONE: none). */
static void expect(const struct op *op, struct spdk_memory_domain *owner, struct spdk_memory_domain *other,
		   enum rec_variant variant, int line)
{
	char what[128];
	int rc;

	rec_reset(-EIO, false, 0);
	rc = op->invoke(owner, other);
	snprintf(what, sizeof(what), "%s: %s", op->name, variant == REC_NONE ? "no callback runs" : "the owner's callback runs once");
	conf_check_int(g_rec.calls, variant == REC_NONE ? 0 : 1, what, __FILE__, line);
	snprintf(what, sizeof(what), "%s: variant %d ran", op->name, (int)variant);
	conf_check_int(g_rec.variant, variant, what, __FILE__, line);
	if (variant != REC_NONE) {
		snprintf(what, sizeof(what), "%s: the callback gets the owner as its domain", op->name);
		conf_check_ptr(g_rec.domain, owner, what, __FILE__, line);
	}
	if (op->returns_rc) {
		snprintf(what, sizeof(what), "%s: returns %s", op->name, variant == REC_NONE ? "-ENOTSUP" : "the callback's rc");
		conf_check_int(rc, variant == REC_NONE ? -ENOTSUP : -EIO, what, __FILE__, line);
	}
	snprintf(what, sizeof(what), "%s: the library never calls cpl_cb", op->name);
	conf_check_int(g_cpl_calls, 0, what, __FILE__, line);
}

static void check_op(const struct op *op)
{
	struct spdk_memory_domain *owner = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-route-owner");
	struct spdk_memory_domain *other = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-route-other");
	struct spdk_memory_domain *third = conf_create(SPDK_DMA_DEVICE_TYPE_ACCEL, "conf-route-third");

	expect(op, owner, other, REC_NONE, __LINE__);
	/* The other domain's callback is never the one used. */
	op->set(other, REC_B);
	expect(op, owner, other, REC_NONE, __LINE__);
	op->set(owner, REC_A);
	expect(op, owner, other, REC_A, __LINE__);
	expect(op, owner, owner, REC_A, __LINE__);
	expect(op, other, owner, REC_B, __LINE__);
	/* Setting a third domain changes neither. */
	op->set(third, REC_B);
	expect(op, owner, other, REC_A, __LINE__);
	expect(op, third, owner, REC_B, __LINE__);
	/* Setters overwrite. */
	op->set(owner, REC_B);
	expect(op, owner, other, REC_B, __LINE__);
	op->set(owner, REC_A);
	expect(op, owner, other, REC_A, __LINE__);
	/* A NULL domain is ignored. */
	op->set(NULL, REC_B);
	expect(op, owner, other, REC_A, __LINE__);
	/* NULL clears. */
	op->set(owner, REC_NONE);
	expect(op, owner, other, REC_NONE, __LINE__);
	expect(op, other, owner, REC_B, __LINE__);
	op->set(owner, REC_NONE);
	expect(op, owner, other, REC_NONE, __LINE__);

	/* Each setter sets only its own kind. */
	op->set(owner, REC_A);
	for (size_t j = 0; j < OP_COUNT; j++) {
		if (&g_ops[j] != op) {
			expect(&g_ops[j], owner, third, REC_NONE, __LINE__);
		}
	}
	spdk_memory_domain_destroy(third);
	spdk_memory_domain_destroy(other);
	spdk_memory_domain_destroy(owner);
}

void conf_dispatch_routing(void)
{
	for (size_t i = 0; i < OP_COUNT; i++) {
		char section[64];

		snprintf(section, sizeof(section), "dispatch routing: %s", g_ops[i].name);
		conf_section(section);
		check_op(&g_ops[i]);
	}
	CHECK_INT(conf_registry_count(NULL), 1);
}
