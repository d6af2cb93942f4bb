/*
 * A client of one remote memory domain (`ucx:HOST:PORT`) through the C API, for the checks that
 * dmactl cannot make: what the domain refuses before anything is posted, and what happens to
 * operations in flight when the server goes away. Built by Tests/UCX/run.sh against the build's
 * headers and libDMAHost.so; the UCX plugin is loaded explicitly (dmahost_load_path).
 *
 * Usage: remote_client PLUGIN DEVICE MODE [ARGS]
 *   range        addresses outside the server's region [base, base + length) are refused with
 *                -EFAULT synchronously, for push, pull and memzero, also when only one entry of a
 *                list is outside; nothing of a refused request reaches the server; a request
 *                inside an allocation (dmahost/remote.h alloc) moves the bytes exactly.
 *   read-only    push and memzero are refused with -EACCES; pull works.
 *   server-loss READY_FILE RESUME_FILE SECONDS
 *                keeps 8 pushes of 1 MiB in flight; creates READY_FILE once they run; when the
 *                server dies every operation in flight must complete with a negative errno
 *                within SECONDS of the first failure, and a later push must fail at once;
 *                after RESUME_FILE appears (the server restarted, or reachable again),
 *                close and open of the device must reconnect
 *                and a push and pull must verify.
 * Prints one line per step ("ok: ..." or "FAIL: ..."), then key=value lines the script reads.
 * Exit status: 0 every step passed, 1 a step failed, 2 usage or setup.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthread_cond_timedwait */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <dmahost/host.h>
#include <dmahost/remote.h>
#include <spdk/dma.h>

/* ---- completions: every operation has an outcome, filled once by its completion. */

struct outcome {
	int rc;
	int calls;              /* completions received; more than 1 breaks the contract */
	struct timespec at;     /* CLOCK_MONOTONIC of the first completion */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static int failures;

/* Outcomes live for the whole process: a completion that comes late (after a wait timed out, or
 * for a request that should have been refused) must not write into a finished function's frame. */
static struct outcome outcome_pool[512];
static size_t outcome_next;

static struct outcome *new_outcome(void)
{
	if (outcome_next == sizeof(outcome_pool) / sizeof(outcome_pool[0])) {
		fprintf(stderr, "remote_client: out of outcomes\n");
		exit(2);
	}
	return &outcome_pool[outcome_next++];
}

static void on_complete(void *arg, int rc)
{
	struct outcome *outcome = arg;

	pthread_mutex_lock(&lock);
	if (outcome->calls++ == 0) {
		outcome->rc = rc;
		clock_gettime(CLOCK_MONOTONIC, &outcome->at);
	}
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static double seconds_between(struct timespec from, struct timespec to)
{
	return (double)(to.tv_sec - from.tv_sec) + (double)(to.tv_nsec - from.tv_nsec) / 1e9;
}

static struct timespec now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

/* The wall-clock time (seconds since the epoch) of a CLOCK_MONOTONIC instant, for comparison
 * with the time the script stopped the server. */
static double realtime_of(struct timespec instant)
{
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	return (double)wall.tv_sec + (double)wall.tv_nsec / 1e9 - seconds_between(instant, now());
}

/* Waits until \b outcome completed or \b seconds passed; returns its rc, or -ETIMEDOUT. */
static int wait_for(struct outcome *outcome, double seconds)
{
	struct timespec deadline = now();
	int rc = -ETIMEDOUT;

	deadline.tv_sec += (time_t)seconds;
	deadline.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lock);
	while (outcome->calls == 0) {
		if (pthread_cond_timedwait(&changed, &lock, &deadline) == ETIMEDOUT) {
			break;
		}
	}
	if (outcome->calls > 0) {
		rc = outcome->rc;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static void pause_ms(double ms)
{
	struct timespec t = { (time_t)(ms / 1e3), (long)((ms - 1e3 * (double)(time_t)(ms / 1e3)) * 1e6) };

	while (nanosleep(&t, &t) != 0 && errno == EINTR) {
	}
}

static void step(int passed, const char *format, ...)
{
	va_list args;

	printf(passed ? "ok: " : "FAIL: ");
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	printf("\n");
	fflush(stdout);
	if (!passed) {
		failures++;
	}
}

/* ---- the remote domain */

struct remote {
	struct dmahost_host *host;
	const char *device;
	struct spdk_memory_domain *domain;
	const struct dmahost_remote_domain_ctx *ctx;
};

static int open_remote(struct remote *remote)
{
	struct spdk_memory_domain *domains[4];
	uint32_t count = 0;
	char err[512] = "";
	size_t size = 0;

	int rc = dmahost_open(remote->host, remote->device, domains, 4, &count, err, sizeof(err));
	if (rc != 0 || count < 1) {
		printf("open %s: %d (%s)\n", remote->device, rc, err);
		return rc != 0 ? rc : -ENODEV;
	}
	remote->domain = domains[0];
	const void *user = spdk_memory_domain_get_user_context(remote->domain, &size);
	remote->ctx = dmahost_remote_domain_ctx_get(user, size);
	if (remote->ctx == NULL) {
		printf("%s: the domain's user context (%zu bytes) is no dmahost_remote_domain_ctx\n", remote->device, size);
		return -EPROTO;
	}
	return 0;
}

static uint64_t region_base(const struct remote *remote)
{
	return (uint64_t)(uintptr_t)remote->ctx->base;
}

static uint64_t region_end(const struct remote *remote)
{
	return region_base(remote) + (uint64_t)remote->ctx->length;
}

static struct iovec remote_iov(uint64_t address, size_t length)
{
	struct iovec iov = { (void *)(uintptr_t)address, length };
	return iov;
}

static void fill_pattern(unsigned char *bytes, size_t length, uint64_t seed)
{
	uint64_t state = seed | 1;

	for (size_t i = 0; i < length; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		bytes[i] = (unsigned char)(state >> 56);
	}
}

static int push(struct remote *remote, struct iovec *dst, uint32_t dst_count, struct iovec *src, uint32_t src_count,
		struct outcome *outcome)
{
	return spdk_memory_domain_push_data(remote->domain, NULL, dst, dst_count, src, src_count, on_complete, outcome);
}

static int pull(struct remote *remote, struct iovec *src, uint32_t src_count, struct iovec *dst, uint32_t dst_count,
		struct outcome *outcome)
{
	return spdk_memory_domain_pull_data(remote->domain, NULL, src, src_count, dst, dst_count, on_complete, outcome);
}

/* Pushes \b length bytes of a pattern to \b address and pulls them back; 0 when every byte came back. */
static int round_trip(struct remote *remote, uint64_t address, size_t length, uint64_t seed, char *why, size_t why_len)
{
	unsigned char *out = malloc(length), *back = calloc(1, length);
	struct outcome *pushed = new_outcome(), *pulled = new_outcome();
	int rc = -ENOMEM;

	if (out != NULL && back != NULL) {
		fill_pattern(out, length, seed);
		/* Three pieces locally, one remotely: the two sides are cut differently. */
		struct iovec src[3] = { { out, length / 4 }, { out + length / 4, length / 2 }, { out + length / 4 + length / 2, length - length / 4 - length / 2 } };
		struct iovec dst[1] = { remote_iov(address, length) };
		struct iovec into[1] = { { back, length } };
		if ((rc = push(remote, dst, 1, src, 3, pushed)) != 0) {
			snprintf(why, why_len, "push returned %d", rc);
		} else if ((rc = wait_for(pushed, 30)) != 0) {
			snprintf(why, why_len, "push completed with %d", rc);
		} else if ((rc = pull(remote, dst, 1, into, 1, pulled)) != 0) {
			snprintf(why, why_len, "pull returned %d", rc);
		} else if ((rc = wait_for(pulled, 30)) != 0) {
			snprintf(why, why_len, "pull completed with %d", rc);
		} else if (memcmp(out, back, length) != 0) {
			snprintf(why, why_len, "the bytes pulled back differ from those pushed");
			rc = -EIO;
		}
	}
	if (rc != -ETIMEDOUT) { /* else the device may still use them */
		free(out);
		free(back);
	}
	return rc;
}

/* ---- range: -EFAULT outside [base, base + length) */

/* Expects \b rc to be \b expected synchronously and no completion for \b outcome within 200 ms. */
static void expect_refused(int rc, int expected, struct outcome *outcome, const char *what)
{
	pause_ms(200);
	pthread_mutex_lock(&lock);
	int calls = outcome->calls;
	pthread_mutex_unlock(&lock);
	step(rc == expected && calls == 0, "%s: returned %d (expected %d), completion called %d times (expected 0)", what, rc,
	     expected, calls);
}

static int check_range(struct remote *remote)
{
	const uint64_t base = region_base(remote), end = region_end(remote);
	char why[256] = "";
	uint64_t address = 0;
	enum { LENGTH = 64 << 10 };

	printf("region [0x%llx, 0x%llx): %llu bytes\n", (unsigned long long)base, (unsigned long long)end,
	       (unsigned long long)(end - base));
	int rc = remote->ctx->alloc(remote->ctx, LENGTH, 4096, &address);
	step(rc == 0 && address >= base && address + LENGTH <= end, "alloc of %d bytes: %d, address 0x%llx inside the region",
	     LENGTH, rc, (unsigned long long)address);
	if (rc != 0) {
		return 1;
	}
	rc = round_trip(remote, address, LENGTH, 7, why, sizeof(why));
	step(rc == 0, "push and pull inside the allocation: every byte back%s%s", rc ? ": " : "", why);

	/* What the server holds there now; a refused request must leave it as it is. */
	unsigned char *before = calloc(1, LENGTH), *after = calloc(1, LENGTH), *local = calloc(1, LENGTH);
	if (before == NULL || after == NULL || local == NULL) {
		return 2;
	}
	struct outcome *o_before = new_outcome(), *o_after = new_outcome();
	struct iovec all[1] = { remote_iov(address, LENGTH) };
	struct iovec into_before[1] = { { before, LENGTH } }, into_after[1] = { { after, LENGTH } };
	rc = pull(remote, all, 1, into_before, 1, o_before);
	rc = rc ? rc : wait_for(o_before, 30);
	step(rc == 0, "pull of the allocation before the refused requests: %d", rc);
	memset(local, 0x5a, LENGTH);

	struct {
		const char *what;
		struct iovec remote[2];
		uint32_t count;
	} cases[] = {
		{ "one page just below base", { remote_iov(base - 4096, 4096) }, 1 },
		{ "16 bytes across the end", { remote_iov(end - 8, 16) }, 1 },
		{ "one page at the end", { remote_iov(end, 4096) }, 1 },
		{ "one byte far above the end", { remote_iov(end + (1ull << 30), 1) }, 1 },
		{ "an entry inside, then one outside", { remote_iov(address, 4096), remote_iov(end, 4096) }, 2 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t total = 0;
		for (uint32_t k = 0; k < cases[i].count; k++) {
			total += cases[i].remote[k].iov_len;
		}
		struct iovec mine[1] = { { local, total } };
		struct outcome *o_push = new_outcome(), *o_pull = new_outcome(), *o_zero = new_outcome();
		char what[160];

		snprintf(what, sizeof(what), "push to %s", cases[i].what);
		expect_refused(push(remote, cases[i].remote, cases[i].count, mine, 1, o_push), -EFAULT, o_push, what);
		snprintf(what, sizeof(what), "pull from %s", cases[i].what);
		expect_refused(pull(remote, cases[i].remote, cases[i].count, mine, 1, o_pull), -EFAULT, o_pull, what);
		snprintf(what, sizeof(what), "memzero of %s", cases[i].what);
		expect_refused(spdk_memory_domain_memzero(remote->domain, NULL, cases[i].remote, cases[i].count, on_complete, o_zero),
			       -EFAULT, o_zero, what);
	}
	rc = pull(remote, all, 1, into_after, 1, o_after);
	rc = rc ? rc : wait_for(o_after, 30);
	step(rc == 0 && memcmp(before, after, LENGTH) == 0,
	     "the allocation is unchanged after the refused requests (pull %d): nothing of them was posted", rc);
	rc = remote->ctx->free(remote->ctx, address);
	step(rc == 0, "free of the allocation: %d", rc);
	free(before);
	free(after);
	free(local);
	return failures ? 1 : 0;
}

/* ---- read-only: -EACCES for writes */

static int check_read_only(struct remote *remote)
{
	enum { LENGTH = 4096 };
	unsigned char *local = calloc(1, LENGTH);
	const uint64_t base = region_base(remote);
	struct outcome *o_push = new_outcome(), *o_zero = new_outcome(), *o_pull = new_outcome();

	if (local == NULL) {
		return 2;
	}
	struct iovec there[1] = { remote_iov(base, LENGTH) };
	struct iovec mine[1] = { { local, LENGTH } };
	expect_refused(push(remote, there, 1, mine, 1, o_push), -EACCES, o_push, "push into the read-only region");
	expect_refused(spdk_memory_domain_memzero(remote->domain, NULL, there, 1, on_complete, o_zero), -EACCES, o_zero,
		       "memzero of the read-only region");
	int rc = pull(remote, there, 1, mine, 1, o_pull);
	rc = rc ? rc : wait_for(o_pull, 30);
	step(rc == 0, "pull of %d bytes from the read-only region: %d", LENGTH, rc);
	free(local);
	return failures ? 1 : 0;
}

/* ---- server-loss: operations in flight when the server dies */

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int check_server_loss(struct remote *remote, const char *ready_file, const char *resume_file, double bound)
{
	enum { DEPTH = 8, LENGTH = 1 << 20 };
	static struct outcome slots[DEPTH]; /* outlives this function: see outcome_pool */
	unsigned char *local = malloc((size_t)DEPTH * LENGTH);
	uint64_t addresses[DEPTH];
	struct iovec src[DEPTH], dst[DEPTH];
	int in_flight[DEPTH] = { 0 };
	long succeeded = 0;
	int first_error = 0;
	struct timespec first_failure = { 0 }, last_completion = { 0 };
	char why[256] = "";

	if (local == NULL) {
		return 2;
	}
	fill_pattern(local, (size_t)DEPTH * LENGTH, 3);
	for (int i = 0; i < DEPTH; i++) {
		int rc = remote->ctx->alloc(remote->ctx, LENGTH, 4096, &addresses[i]);
		if (rc != 0) {
			step(0, "alloc of %d bytes: %d", LENGTH, rc);
			return 1;
		}
		src[i] = (struct iovec){ local + (size_t)i * LENGTH, LENGTH };
		dst[i] = remote_iov(addresses[i], LENGTH);
	}
	/* Keep DEPTH pushes in flight until the first one fails. */
	int ready = 0;
	struct timespec started = now(), progress = started;
	while (first_error == 0) {
		for (int i = 0; i < DEPTH && first_error == 0; i++) {
			if (in_flight[i]) {
				pthread_mutex_lock(&lock);
				int calls = slots[i].calls, rc = slots[i].rc;
				pthread_mutex_unlock(&lock);
				if (calls == 0) {
					continue;
				}
				in_flight[i] = 0;
				if (rc != 0) {
					first_error = rc;
					first_failure = slots[i].at;
					break;
				}
				succeeded++;
				progress = now();
			}
			memset(&slots[i], 0, sizeof(slots[i]));
			int rc = push(remote, &dst[i], 1, &src[i], 1, &slots[i]);
			if (rc != 0) {
				first_error = rc;
				first_failure = now();
				break;
			}
			in_flight[i] = 1;
		}
		if (!ready && succeeded >= 2 * DEPTH) {
			FILE *file = fopen(ready_file, "w");
			if (file != NULL) {
				fclose(file);
			}
			ready = 1;
			printf("running: %ld pushes of %d bytes completed, %d in flight\n", succeeded, LENGTH, DEPTH);
			fflush(stdout);
		}
		if (ready && seconds_between(progress, now()) > 2 * bound + 5) {
			step(0, "no operation completed or failed for %.0f s (%d in flight): the loss was not detected",
			     seconds_between(progress, now()), DEPTH);
			return 1;
		}
		if (seconds_between(started, now()) > 120) {
			step(0, "the server was not stopped within 120 s (%ld pushes completed)", succeeded);
			return 1;
		}
		pause_ms(0.2);
	}
	/* Every operation still in flight must complete, with an error, within the bound. */
	int failed = 1, late = 0, succeeded_after = 0, outstanding = 0;
	last_completion = first_failure;
	for (int i = 0; i < DEPTH; i++) {
		if (!in_flight[i]) {
			continue;
		}
		double left = bound - seconds_between(first_failure, now());
		int rc = wait_for(&slots[i], left > 0 ? left : 0.001);
		if (rc == -ETIMEDOUT && slots[i].calls == 0) {
			outstanding++;
			continue;
		}
		if (rc == 0) {
			succeeded_after++;
		} else {
			failed++;
		}
		if (seconds_between(last_completion, slots[i].at) > 0) {
			last_completion = slots[i].at;
		}
		if (seconds_between(first_failure, slots[i].at) > bound) {
			late++;
		}
	}
	double spread = seconds_between(first_failure, last_completion);
	step(outstanding == 0 && late == 0, "after the first failure (%d: %s), the %d operations in flight completed within %.3f s "
	     "(bound %.1f s): %d failed, %d had succeeded, %d still outstanding", first_error, strerror(-first_error),
	     failed + succeeded_after + outstanding, spread, bound, failed, succeeded_after, outstanding);
	printf("first_error=%d\nfirst_failure_at=%.6f\nlast_completion_at=%.6f\n", first_error, realtime_of(first_failure),
	       realtime_of(last_completion));

	/* A later operation fails at once. */
	struct outcome *later = new_outcome();
	struct timespec t0 = now();
	int rc = push(remote, &dst[0], 1, &src[0], 1, later);
	if (rc == 0) {
		rc = wait_for(later, bound);
	}
	double took = seconds_between(t0, now());
	step(rc < 0 && rc != -ETIMEDOUT && took < 1.0, "a push after the loss: %d (%s) after %.3f ms", rc, strerror(-rc),
	     took * 1e3);
	printf("later_rc=%d\nlater_ms=%.3f\n", rc, took * 1e3);

	/* Reconnect once the server is back: close, open, move bytes. */
	struct timespec waiting = now();
	while (!file_exists(resume_file)) {
		if (seconds_between(waiting, now()) > 60) {
			step(0, "%s did not appear within 60 s", resume_file);
			return 1;
		}
		pause_ms(50);
	}
	rc = dmahost_close(remote->host, remote->device);
	step(rc == 0, "close of %s after the loss: %d", remote->device, rc);
	t0 = now();
	rc = open_remote(remote);
	step(rc == 0, "open of %s once the server is back: %d after %.3f s", remote->device, rc, seconds_between(t0, now()));
	if (rc != 0) {
		return 1;
	}
	uint64_t address = 0;
	rc = remote->ctx->alloc(remote->ctx, LENGTH, 4096, &address);
	rc = rc ? rc : round_trip(remote, address, LENGTH, 11, why, sizeof(why));
	step(rc == 0, "push and pull of %d bytes after reconnecting: %d%s%s", LENGTH, rc, why[0] ? ": " : "", why);
	if (outstanding == 0) {
		free(local); /* else the device may still read it */
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s PLUGIN DEVICE range|read-only|server-loss READY RESUME SECONDS\n", argv[0]);
		return 2;
	}
	const char *mode = argv[3];
	struct remote remote = { .device = argv[2] };
	pthread_condattr_t attr;

	setvbuf(stdout, NULL, _IOLBF, 0); /* the script reads the lines while this runs */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&changed, &attr);
	if (dmahost_host_create(&remote.host) != 0) {
		fprintf(stderr, "dmahost_host_create failed\n");
		return 2;
	}
	int rc = dmahost_load_path(remote.host, argv[1]);
	if (rc < 0) {
		fprintf(stderr, "dmahost_load_path %s: %d\n", argv[1], rc);
		return 2;
	}
	if ((rc = open_remote(&remote)) != 0) {
		return 2;
	}
	int status;
	if (strcmp(mode, "range") == 0) {
		status = check_range(&remote);
	} else if (strcmp(mode, "read-only") == 0) {
		status = check_read_only(&remote);
	} else if (strcmp(mode, "server-loss") == 0 && argc == 7) {
		status = check_server_loss(&remote, argv[4], argv[5], strtod(argv[6], NULL));
	} else {
		fprintf(stderr, "%s: unknown mode or missing arguments: %s\n", argv[0], mode);
		return 2;
	}
	dmahost_close(remote.host, remote.device);
	dmahost_host_destroy(remote.host);
	printf("failures=%d\n", failures);
	return status;
}
