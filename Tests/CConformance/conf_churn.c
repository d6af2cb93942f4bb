/*
 * Conformance: two threads walk the registry with get_first/get_next and read the id and type
 * of every domain they get, while two threads create and destroy domains; the domain a walker
 * holds is routinely destroyed before it asks for the next one.
 *
 * The walkers rely on the quarantine alone, as spdk/dma.h describes it: a destroyed domain
 * stays readable for 1024 destroys. Each walker publishes how many destroys had started when
 * it last asked for a domain (and, by publishing, that it is done with the domains it got
 * before); the churners never run more than half a quarantine ahead of the slowest walker.
 * Every churner runs CYCLES destroys (past the quarantine and the graveyard several times), or
 * DMAHOST_STRESS_SECONDS seconds when that is set.
 */
#include "conformance.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WALKERS 2
#define CHURNERS 2
#define CYCLES 20000
#define POOL 16
/** The quarantine spdk/dma.h states, and how far the churners may run ahead of a walker. */
#define QUARANTINE 1024
#define SLACK (QUARANTINE / 2)
/** No walk visits more domains than this (the registry never holds that many here). */
#define MAX_STEPS 100000

static const char *const g_ids[2] = { "conf-churn-a", "conf-churn-b" };

/** Destroys started by the churners. */
static atomic_ulong g_started;
/** Per walker: g_started when it last asked for a domain; ULONG_MAX once it stopped. */
static atomic_ulong g_marks[WALKERS];
static atomic_int g_churners_left;
/** Seconds to run instead of CYCLES (0: CYCLES). */
static double g_seconds;

struct churn_thread {
	pthread_t thread;
	int index;
	int failures;
	unsigned long destroys;
	unsigned long walks;
	unsigned long steps;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits until starting one more destroy keeps every walker within SLACK destroys. */
static void wait_for_walkers(void)
{
	for (;;) {
		unsigned long started = atomic_load(&g_started);
		bool ahead = false;

		for (int w = 0; w < WALKERS; w++) {
			unsigned long mark = atomic_load_explicit(&g_marks[w], memory_order_acquire);

			ahead |= mark != ULONG_MAX && started + 1 - mark > SLACK;
		}
		if (!ahead) {
			return;
		}
		sched_yield();
	}
}

static void *churner_main(void *arg)
{
	struct churn_thread *t = arg;
	struct spdk_memory_domain *pool[POOL];
	unsigned int seed = 0x5eed + (unsigned int)t->index;
	double deadline = now_seconds() + g_seconds;
	int count = 0;

	while (g_seconds > 0 ? now_seconds() < deadline : t->destroys < CYCLES) {
		if (count < POOL && (count == 0 || rand_r(&seed) % 2 == 0)) {
			int choice = rand_r(&seed) % 3;

			pool[count] = NULL;
			if (spdk_memory_domain_create(&pool[count], SPDK_DMA_DEVICE_TYPE_ACCEL, NULL,
						      choice < 2 ? g_ids[choice] : NULL) != 0 || pool[count] == NULL) {
				t->failures++;
				break;
			}
			count++;
		} else {
			int victim = rand_r(&seed) % count;

			wait_for_walkers();
			atomic_fetch_add(&g_started, 1);
			spdk_memory_domain_destroy(pool[victim]);
			pool[victim] = pool[--count];
			t->destroys++;
		}
	}
	while (count > 0) {
		wait_for_walkers();
		atomic_fetch_add(&g_started, 1);
		spdk_memory_domain_destroy(pool[--count]);
	}
	atomic_fetch_sub(&g_churners_left, 1);
	return NULL;
}

/* Reads a domain a walk returned: 0 when it is as expected. */
static int check_domain(struct spdk_memory_domain *d, const char *filter)
{
	const char *id = spdk_memory_domain_get_dma_device_id(d);

	if (filter != NULL) {
		return id == NULL || strcmp(id, filter) != 0;
	}
	if (id == NULL) {
		return 0;
	}
	if (strcmp(id, "system") == 0) {
		return d != spdk_memory_domain_get_system_domain();
	}
	if (strcmp(id, g_ids[0]) != 0 && strcmp(id, g_ids[1]) != 0) {
		return 1;
	}
	return spdk_memory_domain_get_dma_device_type(d) != SPDK_DMA_DEVICE_TYPE_ACCEL;
}

/* Publishes that the walker is done with the domains it got so far and is about to ask for one. */
static void publish_mark(struct churn_thread *t)
{
	atomic_store_explicit(&g_marks[t->index], atomic_load(&g_started), memory_order_release);
}

static void walk(struct churn_thread *t, const char *filter)
{
	struct spdk_memory_domain *d;
	unsigned long steps = 0;

	publish_mark(t);
	d = spdk_memory_domain_get_first(filter);
	if (filter == NULL && d != spdk_memory_domain_get_system_domain()) {
		t->failures++;
	}
	while (d != NULL) {
		t->failures += check_domain(d, filter);
		/* Now and then let the churners run, so that d may be destroyed (and freed) before
		 * the walk moves on from it. */
		if (steps % 8 == 7) {
			sched_yield();
		}
		publish_mark(t);
		d = spdk_memory_domain_get_next(d, filter);
		if (++steps > MAX_STEPS) {
			t->failures++;
			break;
		}
	}
	t->steps += steps;
	t->walks++;
}

static void *walker_main(void *arg)
{
	struct churn_thread *t = arg;

	while (atomic_load(&g_churners_left) > 0) {
		walk(t, NULL);
		walk(t, g_ids[t->index % 2]);
	}
	atomic_store_explicit(&g_marks[t->index], ULONG_MAX, memory_order_release);
	return NULL;
}

void conf_churn(void)
{
	struct churn_thread churners[CHURNERS];
	struct churn_thread walkers[WALKERS];
	const char *seconds = getenv("DMAHOST_STRESS_SECONDS");
	bool started = true;

	conf_section("churn: walks while other threads create and destroy");
	g_seconds = seconds != NULL ? atof(seconds) : 0;
	atomic_store(&g_started, 0);
	atomic_store(&g_churners_left, CHURNERS);
	for (int w = 0; w < WALKERS; w++) {
		atomic_store(&g_marks[w], 0);
		walkers[w] = (struct churn_thread) { .index = w };
	}
	for (int c = 0; c < CHURNERS; c++) {
		churners[c] = (struct churn_thread) { .index = c };
	}
	for (int w = 0; w < WALKERS; w++) {
		started &= CHECK_INT(pthread_create(&walkers[w].thread, NULL, walker_main, &walkers[w]), 0);
	}
	for (int c = 0; c < CHURNERS; c++) {
		started &= CHECK_INT(pthread_create(&churners[c].thread, NULL, churner_main, &churners[c]), 0);
	}
	if (!started) {
		/* A missing thread would leave the others waiting for ever; the watchdog reports it. */
		return;
	}
	for (int c = 0; c < CHURNERS; c++) {
		pthread_join(churners[c].thread, NULL);
		CHECK_INT(churners[c].failures, 0);
		if (g_seconds == 0) {
			CHECK_INT(churners[c].destroys, CYCLES);
		}
	}
	for (int w = 0; w < WALKERS; w++) {
		pthread_join(walkers[w].thread, NULL);
		CHECK_INT(walkers[w].failures, 0);
		CHECK(walkers[w].walks > 0);
	}
	CHECK_PTR(spdk_memory_domain_get_first(g_ids[0]), NULL);
	CHECK_PTR(spdk_memory_domain_get_first(g_ids[1]), NULL);
	CHECK_INT(conf_registry_count(NULL), 1);
}
