/*
 * Conformance: many threads create, look up, walk (from their own domains), dispatch and
 * destroy at once. Each thread only dereferences domains it owns or the shared ones,
 * as SPDK callers must; the registry stays consistent and ends with the system domain alone.
 * Threads count their own failures; the main thread turns the counts into checks.
 */
#include "conformance.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define THREADS 8
#define ROUNDS 200
#define PER_ROUND 6

static struct spdk_memory_domain *g_shared;
static atomic_int g_shared_calls;

/* The shared domain's pull callback churns the registry from many threads at once. */
static int shared_pull(struct spdk_memory_domain *d, void *dctx, struct iovec *a, uint32_t an, struct iovec *b,
		       uint32_t bn, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	struct spdk_memory_domain *tmp = NULL;
	int rc;

	(void)a, (void)an, (void)b, (void)bn;
	atomic_fetch_add(&g_shared_calls, 1);
	rc = spdk_memory_domain_create(&tmp, SPDK_DMA_DEVICE_TYPE_DMA, NULL, (const char *)dctx);
	if (rc == 0 && spdk_memory_domain_get_first((const char *)dctx) != tmp) {
		rc = -EPROTO;
	}
	if (spdk_memory_domain_get_first("conf-thr-shared") != d) {
		rc = -EBADF;
	}
	spdk_memory_domain_destroy(tmp);
	if (rc == 0) {
		cpl_cb(cpl_cb_arg, 0);
	}
	return rc;
}

static void count_completion(void *arg, int rc)
{
	int *completed = arg;

	*completed += rc == 0;
}

struct worker {
	int index;
	int failures;
	int completed;
	pthread_t thread;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct spdk_memory_domain *mine[PER_ROUND];
	char id[32];
	char tmp_id[32];

	snprintf(id, sizeof(id), "conf-thr-%d", w->index);
	snprintf(tmp_id, sizeof(tmp_id), "conf-thr-tmp-%d", w->index);
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < PER_ROUND; i++) {
			/* Every third domain has no id: filtered walks elsewhere pass over it. */
			mine[i] = NULL;
			if (spdk_memory_domain_create(&mine[i], (enum spdk_dma_device_type)i, NULL, i % 3 == 2 ? NULL : id) != 0 ||
			    mine[i] == NULL) {
				w->failures++;
				return NULL;
			}
		}
		w->failures += spdk_memory_domain_get_first(NULL) != spdk_memory_domain_get_system_domain();
		w->failures += spdk_memory_domain_get_first(id) != mine[0];
		/* Walk my own domains in creation order, starting from one of mine. */
		for (int i = 0; i + 1 < PER_ROUND; i++) {
			int next = (i + 1) % 3 == 2 ? i + 2 : i + 1;

			if (i % 3 != 2 && next < PER_ROUND) {
				w->failures += spdk_memory_domain_get_next(mine[i], id) != mine[next];
			}
		}
		w->failures += spdk_memory_domain_get_next(mine[PER_ROUND - 1], id) != NULL;
		w->failures += (int)spdk_memory_domain_get_dma_device_type(mine[round % PER_ROUND]) != round % PER_ROUND;
		/* Dispatch through the shared domain, whose callback creates and destroys. */
		if (spdk_memory_domain_pull_data(g_shared, tmp_id, NULL, 0, NULL, 0, count_completion, &w->completed) != 0) {
			w->failures++;
		}
		/* Destroy in an order that differs by round: head, tail and middle removals. */
		for (int i = 0; i < PER_ROUND; i++) {
			int k = (round % 2 == 0) ? i : PER_ROUND - 1 - i;

			spdk_memory_domain_destroy(mine[(k + round) % PER_ROUND]);
		}
		w->failures += spdk_memory_domain_get_first(id) != NULL;
	}
	return NULL;
}

void conf_threads(void)
{
	struct worker workers[THREADS];
	int started = 0;

	conf_section("threads: concurrent create, walk, dispatch and destroy");
	g_shared = conf_create(SPDK_DMA_DEVICE_TYPE_DMA, "conf-thr-shared");
	spdk_memory_domain_set_pull(g_shared, shared_pull);
	atomic_store(&g_shared_calls, 0);
	for (int t = 0; t < THREADS; t++) {
		workers[t] = (struct worker) { .index = t };
		if (CHECK_INT(pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]), 0)) {
			started++;
		}
	}
	for (int t = 0; t < started; t++) {
		pthread_join(workers[t].thread, NULL);
		CHECK_INT(workers[t].failures, 0);
		CHECK_INT(workers[t].completed, ROUNDS);
	}
	CHECK_INT(atomic_load(&g_shared_calls), started * ROUNDS);
	CHECK_INT(conf_registry_count("conf-thr-shared"), 1);
	CHECK_INT(conf_registry_count(NULL), 2);
	for (int t = 0; t < THREADS; t++) {
		char id[32];

		snprintf(id, sizeof(id), "conf-thr-%d", t);
		CHECK_PTR(spdk_memory_domain_get_first(id), NULL);
	}
	spdk_memory_domain_destroy(g_shared);
	CHECK_INT(conf_registry_count(NULL), 1);
}
