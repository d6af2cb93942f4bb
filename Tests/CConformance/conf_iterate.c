/*
 * Conformance: get_first/get_next walk the registry in creation order, system domain first;
 * with an id they match exactly and case-sensitively; get_next's prev need not match;
 * get_next(NULL, ..) is NULL; id-less domains are passed over; destroy and create keep
 * the order (head, middle and tail removals).
 */
#include "conformance.h"

#include <stdio.h>

/* Checks that the unfiltered walk is exactly system, then expected[0..count-1]. */
static void check_walk(struct spdk_memory_domain **expected, size_t count, int line)
{
	struct spdk_memory_domain *cursor = spdk_memory_domain_get_first(NULL);
	char what[64];

	snprintf(what, sizeof(what), "walk at line %d starts with the system domain", line);
	conf_check(cursor == spdk_memory_domain_get_system_domain(), what, __FILE__, line);
	for (size_t i = 0; i < count; i++) {
		cursor = cursor == NULL ? NULL : spdk_memory_domain_get_next(cursor, NULL);
		snprintf(what, sizeof(what), "walk at line %d: entry %zu in creation order", line, i + 1);
		conf_check_ptr(cursor, expected[i], what, __FILE__, line);
	}
	snprintf(what, sizeof(what), "walk at line %d ends", line);
	conf_check_ptr(cursor == NULL ? NULL : spdk_memory_domain_get_next(cursor, NULL), NULL, what, __FILE__, line);
}

#define CHECK_WALK(...)                                                                    \
	do {                                                                               \
		struct spdk_memory_domain *expected_[] = { __VA_ARGS__ };                  \
		check_walk(expected_, sizeof(expected_) / sizeof(expected_[0]), __LINE__); \
	} while (0)

void conf_iteration(void)
{
	struct spdk_memory_domain *sys = spdk_memory_domain_get_system_domain();
	struct spdk_memory_domain *a, *none, *b, *a2, *upper, *longer, *shorter, *tail;

	conf_section("iteration: creation order");
	a = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-iter-a");
	none = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, NULL);
	b = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-iter-b");
	a2 = conf_create(SPDK_DMA_DEVICE_TYPE_ACCEL, "conf-iter-a");
	upper = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "CONF-ITER-A");
	longer = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-iter-a-suffix");
	shorter = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-iter-");
	CHECK_WALK(a, none, b, a2, upper, longer, shorter);
	CHECK_INT(conf_registry_count(NULL), 8);

	conf_section("iteration: exact, case-sensitive id match");
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-a"), a);
	CHECK_PTR(spdk_memory_domain_get_next(a, "conf-iter-a"), a2);
	CHECK_PTR(spdk_memory_domain_get_next(a2, "conf-iter-a"), NULL);
	CHECK_INT(conf_registry_count("conf-iter-a"), 2);
	CHECK_PTR(spdk_memory_domain_get_first("CONF-ITER-A"), upper);
	CHECK_INT(conf_registry_count("CONF-ITER-A"), 1);
	CHECK_PTR(spdk_memory_domain_get_first("Conf-Iter-A"), NULL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-a-suffix"), longer);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-"), shorter);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter"), NULL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-a "), NULL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-b"), b);
	CHECK_PTR(spdk_memory_domain_get_first("no-such-domain"), NULL);
	CHECK_PTR(spdk_memory_domain_get_first(""), NULL);

	conf_section("iteration: get_next(prev, id) where prev does not match");
	CHECK_PTR(spdk_memory_domain_get_next(sys, "conf-iter-a"), a);
	CHECK_PTR(spdk_memory_domain_get_next(none, "conf-iter-a"), a2);
	CHECK_PTR(spdk_memory_domain_get_next(b, "conf-iter-a"), a2);
	CHECK_PTR(spdk_memory_domain_get_next(a, "conf-iter-b"), b);
	CHECK_PTR(spdk_memory_domain_get_next(b, "conf-iter-b"), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(upper, "conf-iter-a"), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(a, "CONF-ITER-A"), upper);
	CHECK_PTR(spdk_memory_domain_get_next(sys, "system"), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(a, NULL), none);
	CHECK_PTR(spdk_memory_domain_get_next(none, NULL), b);
	CHECK_PTR(spdk_memory_domain_get_next(shorter, NULL), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(shorter, "conf-iter-"), NULL);

	conf_section("iteration: get_next(NULL, ..) is NULL");
	CHECK_PTR(spdk_memory_domain_get_next(NULL, NULL), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(NULL, "conf-iter-a"), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(NULL, "system"), NULL);

	conf_section("iteration: removal from the middle, the head and the tail");
	spdk_memory_domain_destroy(b);
	CHECK_WALK(a, none, a2, upper, longer, shorter);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-b"), NULL);
	CHECK_PTR(spdk_memory_domain_get_next(none, "conf-iter-a"), a2);
	spdk_memory_domain_destroy(a);
	CHECK_WALK(none, a2, upper, longer, shorter);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-a"), a2);
	CHECK_PTR(spdk_memory_domain_get_next(sys, NULL), none);
	spdk_memory_domain_destroy(shorter);
	CHECK_WALK(none, a2, upper, longer);
	CHECK_PTR(spdk_memory_domain_get_next(longer, NULL), NULL);

	conf_section("iteration: a domain created after removing the tail is appended");
	tail = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-iter-a");
	CHECK_WALK(none, a2, upper, longer, tail);
	CHECK_PTR(spdk_memory_domain_get_next(a2, "conf-iter-a"), tail);
	CHECK_INT(conf_registry_count("conf-iter-a"), 2);
	/* An id-less domain at the tail does not stop a filtered walk from ending cleanly. */
	spdk_memory_domain_destroy(none);
	none = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, NULL);
	CHECK_WALK(a2, upper, longer, tail, none);
	CHECK_PTR(spdk_memory_domain_get_next(tail, "conf-iter-a"), NULL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-zzz"), NULL);
	CHECK_INT(conf_registry_count("conf-iter-a"), 2);

	conf_section("iteration: emptied back to the system domain");
	spdk_memory_domain_destroy(a2);
	spdk_memory_domain_destroy(upper);
	spdk_memory_domain_destroy(longer);
	spdk_memory_domain_destroy(tail);
	spdk_memory_domain_destroy(none);
	CHECK_PTR(spdk_memory_domain_get_next(sys, NULL), NULL);
	CHECK_PTR(spdk_memory_domain_get_first("conf-iter-a"), NULL);

	conf_section("iteration: a domain created on an empty registry follows the system domain");
	a = conf_create(SPDK_DMA_DEVICE_TYPE_RDMA, "conf-iter-a");
	CHECK_PTR(spdk_memory_domain_get_next(sys, NULL), a);
	CHECK_PTR(spdk_memory_domain_get_next(a, NULL), NULL);
	spdk_memory_domain_destroy(a);
	CHECK_PTR(spdk_memory_domain_get_next(sys, NULL), NULL);
	CHECK_INT(conf_registry_count(NULL), 1);
}
