/*
 * An application of an installed DMAHost: built with `pkg-config --cflags --libs dmahost` alone
 * (Tests/Install/run.sh), it finds the installed plugins through libDMAHost.so, opens the CPU
 * device cpu:0 through the host API (dmahost/host.h), looks its domain up by id (spdk/dma.h),
 * and moves a pattern into the domain and back, checking every byte.
 * Prints "FAIL: ..." and exits 1 on the first problem; prints "PASS ..." and exits 0 otherwise.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, sem_timedwait */
#include <errno.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dmahost/host.h>
#include <spdk/dma.h>

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); return 1; } } while (0)

enum { LENGTH = 1 << 20 };

/* One operation's outcome: the completion (on the CPU backend's worker) posts `finished`. */
struct outcome {
	sem_t finished;
	int rc;
};

static void on_complete(void *arg, int rc)
{
	struct outcome *outcome = arg;

	outcome->rc = rc;
	sem_post(&outcome->finished);
}

/* Waits up to 30 s for the completion of an operation that started (returned 0). */
static int completion_of(struct outcome *outcome)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 30;
	while (sem_timedwait(&outcome->finished, &deadline) != 0) {
		if (errno != EINTR) {
			return -ETIMEDOUT;
		}
	}
	return outcome->rc;
}

int main(void)
{
	struct dmahost_host *host = NULL;
	struct spdk_memory_domain *opened[4];
	uint32_t count = 0;
	char err[256] = "";

	CHECK(dmahost_host_create(&host) == 0, "dmahost_host_create");
	int loaded = dmahost_load_default(host);
	CHECK(loaded > 0, "dmahost_load_default loaded %d drivers: the installed plugins were not found", loaded);
	CHECK(dmahost_open(host, "cpu:0", opened, 4, &count, err, sizeof(err)) == 0 && count >= 1, "dmahost_open cpu:0: %s", err);

	struct spdk_memory_domain *domain = spdk_memory_domain_get_first("cpu:0");
	CHECK(domain != NULL, "spdk_memory_domain_get_first(\"cpu:0\") found no domain");
	CHECK(domain == opened[0], "the domain looked up by id is not the one dmahost_open returned");
	CHECK(spdk_memory_domain_get_dma_device_type(domain) == SPDK_DMA_DEVICE_TYPE_ACCEL, "cpu:0 is not an ACCEL domain");

	unsigned char *source = malloc(LENGTH), *inside = malloc(LENGTH), *back = malloc(LENGTH);
	CHECK(source != NULL && inside != NULL && back != NULL, "out of memory");
	uint64_t state = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < LENGTH; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		source[i] = (unsigned char)(state >> 56);
	}
	memset(inside, 0, LENGTH);
	memset(back, 0, LENGTH);

	/* Two segments on the system side, one in the domain: the segmentations differ. */
	struct iovec from[2] = { { source, LENGTH / 3 }, { source + LENGTH / 3, LENGTH - LENGTH / 3 } };
	struct iovec in_domain[1] = { { inside, LENGTH } };
	struct iovec to[1] = { { back, LENGTH } };

	struct outcome pushed, pulled;
	CHECK(sem_init(&pushed.finished, 0, 0) == 0 && sem_init(&pulled.finished, 0, 0) == 0, "sem_init");
	int rc = spdk_memory_domain_push_data(domain, NULL, in_domain, 1, from, 2, on_complete, &pushed);
	CHECK(rc == 0, "spdk_memory_domain_push_data returned %d", rc);
	CHECK((rc = completion_of(&pushed)) == 0, "push completed with %d", rc);
	rc = spdk_memory_domain_pull_data(domain, NULL, in_domain, 1, to, 1, on_complete, &pulled);
	CHECK(rc == 0, "spdk_memory_domain_pull_data returned %d", rc);
	CHECK((rc = completion_of(&pulled)) == 0, "pull completed with %d", rc);

	for (size_t i = 0; i < LENGTH; i++) {
		CHECK(back[i] == source[i], "byte %zu differs after push and pull: %u, expected %u", i, back[i], source[i]);
	}
	CHECK(dmahost_close(host, "cpu:0") == 0, "dmahost_close cpu:0");
	dmahost_host_destroy(host);
	free(source);
	free(inside);
	free(back);
	printf("PASS: %d drivers loaded; %d bytes pushed into cpu:0 and pulled back, every byte verified\n", loaded, LENGTH);
	return 0;
}
