/*
 * DMAHost — how the registry's cost grows with the number of domains, in wall time.
 *
 * Usage: growth_domains RUNS COUNT...
 *
 * For each COUNT, RUNS times: creates COUNT domains with distinct ids (spdk_memory_domain_create),
 * looks them up by id in a scattered order (spdk_memory_domain_get_first(id), 200 batches of
 * 1,000 lookups), walks the whole registry (get_first(NULL), then get_next(prev, NULL) to the
 * end; at least 1,000,000 steps in all), then destroys them. Prints one JSON line per COUNT with
 * the median over the runs of each operation's time (nanoseconds per create, per lookup, per
 * destroy, per whole walk and per walk step), for Benchmarks/Growth/run.sh. Every lookup and
 * every walk is checked: a wrong answer exits 1.
 *
 * Lookups and walks are timed in short pieces (a batch of lookups, one walk), and a run counts
 * the median piece: on a shared machine a piece the scheduler interrupts is an outlier, not a
 * share of the result. Create and destroy change the registry, so each is timed once per run.
 *
 * Built against the public header only (spdk/dma.h) and linked against libDMAHost.so.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <spdk/dma.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/** Longest COUNT accepted, and the most runs. */
#define GROWTH_MAX_COUNT 1000000L
#define GROWTH_MAX_RUNS 101L
/** Lookups and walk steps per run, at least. */
#define GROWTH_LOOKUP_BATCHES 200L
#define GROWTH_LOOKUPS_PER_BATCH 1000L
#define GROWTH_WALK_STEPS 1000000L
/** Most walks per run (each timed on its own). */
#define GROWTH_MAX_WALKS 100000L
/** Bytes of one id: "growth-" and a number. */
#define GROWTH_ID_BYTES 32

/** Times of one run, nanoseconds per operation. */
struct growth_run {
	double create_ns, lookup_ns, walk_ns, walk_step_ns, destroy_ns;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/** Median of `count` values (sorts them). */
static double median(double *values, long count)
{
	qsort(values, (size_t)count, sizeof(*values), compare_doubles);
	return count % 2 == 1 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/** A stride coprime with `count` near count * 0.618, so that i * stride % count visits every
 *  domain in a scattered order. */
static long scatter_stride(long count)
{
	long stride = (long)((double)count * 0.6180339887) | 1;

	for (;; stride++) {
		long a = stride, b = count;

		while (b != 0) {
			long t = a % b;
			a = b;
			b = t;
		}
		if (a == 1) {
			return stride % count;
		}
	}
}

/** One run over `count` domains; returns 0, or 1 on a failure (reported on stderr). */
static int growth_run(long count, char (*ids)[GROWTH_ID_BYTES], struct spdk_memory_domain **domains,
		      struct growth_run *run)
{
	static double pieces[GROWTH_MAX_WALKS > GROWTH_LOOKUP_BATCHES ? GROWTH_MAX_WALKS : GROWTH_LOOKUP_BATCHES];
	long walks = GROWTH_WALK_STEPS / (count + 1) > 10 ? GROWTH_WALK_STEPS / (count + 1) : 10;
	long stride = scatter_stride(count), wrong = 0, created, steps = 0;
	double start;

	if (walks > GROWTH_MAX_WALKS) {
		walks = GROWTH_MAX_WALKS;
	}

	start = now_ns();
	for (created = 0; created < count; created++) {
		if (spdk_memory_domain_create(&domains[created], SPDK_DMA_DEVICE_TYPE_DMA, NULL, ids[created]) != 0) {
			break;
		}
	}
	run->create_ns = (now_ns() - start) / (double)count;
	if (created != count) {
		fprintf(stderr, "growth_domains: create failed after %ld of %ld domains\n", created, count);
		goto out;
	}

	for (long b = 0, k = 0; b < GROWTH_LOOKUP_BATCHES; b++) {
		start = now_ns();
		for (long i = 0; i < GROWTH_LOOKUPS_PER_BATCH; i++) {
			wrong += spdk_memory_domain_get_first(ids[k]) != domains[k];
			k += stride;
			if (k >= count) {
				k -= count;
			}
		}
		pieces[b] = (now_ns() - start) / (double)GROWTH_LOOKUPS_PER_BATCH;
	}
	run->lookup_ns = median(pieces, GROWTH_LOOKUP_BATCHES);

	for (long w = 0; w < walks; w++) {
		start = now_ns();
		for (struct spdk_memory_domain *d = spdk_memory_domain_get_first(NULL); d != NULL;
		     d = spdk_memory_domain_get_next(d, NULL)) {
			steps++;
		}
		pieces[w] = now_ns() - start;
	}
	run->walk_ns = median(pieces, walks);
	run->walk_step_ns = run->walk_ns / (double)(count + 1);
	/* The system domain, the COUNT domains, and nothing else in this process. */
	wrong += steps != walks * (count + 1);
out:
	start = now_ns();
	for (long i = 0; i < created; i++) {
		spdk_memory_domain_destroy(domains[i]);
	}
	run->destroy_ns = created > 0 ? (now_ns() - start) / (double)created : 0;
	if (wrong != 0) {
		fprintf(stderr, "growth_domains: %ld wrong answers with %ld domains\n", wrong, count);
	}
	return created != count || wrong != 0;
}

/** Parses a number in 1...max; returns 0 when `text` is not one. */
static long parse_count(const char *text, long max)
{
	char *end = NULL;
	long value = strtol(text, &end, 10);

	return end != text && *end == '\0' && value >= 1 && value <= max ? value : 0;
}

int main(int argc, char **argv)
{
	long runs = argc > 2 ? parse_count(argv[1], GROWTH_MAX_RUNS) : 0;

	if (runs == 0) {
		fprintf(stderr, "usage: %s RUNS COUNT... (RUNS 1...%ld, COUNT 1...%ld)\n", argv[0], GROWTH_MAX_RUNS, GROWTH_MAX_COUNT);
		return 2;
	}
	for (int arg = 2; arg < argc; arg++) {
		long count = parse_count(argv[arg], GROWTH_MAX_COUNT);
		char (*ids)[GROWTH_ID_BYTES];
		struct spdk_memory_domain **domains;
		struct growth_run run;
		double create[GROWTH_MAX_RUNS], lookup[GROWTH_MAX_RUNS], walk[GROWTH_MAX_RUNS], step[GROWTH_MAX_RUNS],
			destroy[GROWTH_MAX_RUNS];

		if (count == 0) {
			fprintf(stderr, "growth_domains: COUNT must be 1...%ld, got '%s'\n", GROWTH_MAX_COUNT, argv[arg]);
			return 2;
		}
		ids = calloc((size_t)count, sizeof(*ids));
		domains = calloc((size_t)count, sizeof(*domains));
		if (ids == NULL || domains == NULL) {
			fprintf(stderr, "growth_domains: out of memory for %ld domains\n", count);
			return 1;
		}
		for (long i = 0; i < count; i++) {
			snprintf(ids[i], sizeof(ids[i]), "growth-%07ld", i);
		}
		for (long r = 0; r < runs; r++) {
			if (growth_run(count, ids, domains, &run) != 0) {
				return 1;
			}
			create[r] = run.create_ns;
			lookup[r] = run.lookup_ns;
			walk[r] = run.walk_ns;
			step[r] = run.walk_step_ns;
			destroy[r] = run.destroy_ns;
		}
		printf("{\"schema_version\":1,\"curve\":\"domains\",\"domains\":%ld,\"runs\":%ld,"
		       "\"create_ns\":%.1f,\"lookup_ns\":%.1f,\"walk_ns\":%.1f,\"walk_step_ns\":%.2f,\"destroy_ns\":%.1f}\n",
		       count, runs, median(create, runs), median(lookup, runs), median(walk, runs), median(step, runs),
		       median(destroy, runs));
		fflush(stdout);
		free(ids);
		free(domains);
	}
	return 0;
}
