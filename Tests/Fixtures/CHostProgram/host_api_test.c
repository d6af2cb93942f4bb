/*
 * A C program that uses only the public headers (spdk/dma.h, dmahost/driver.h, dmahost/host.h)
 * and libDMAHost.so: it loads the plugins of the directory given as argv[1] (the test copies
 * the vendor samples and a non-plugin file there), lists and selects devices, opens two
 * devices and moves data through their domains. Prints "FAIL: ..." and exits 1 on the first
 * problem, prints "PASS" and exits 0 otherwise. Built and run by Tests/DriverHostTests.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmahost/driver.h"
#include "dmahost/host.h"
#include "spdk/dma.h"

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); return 1; } } while (0)

struct completion {
	atomic_int done;
	atomic_int rc;
};

static void on_complete(void *arg, int rc)
{
	struct completion *c = arg;
	atomic_store(&c->rc, rc);
	atomic_store(&c->done, 1);
}

/* Waits up to 10 s for a completion; returns its rc, or -ETIMEDOUT. */
static int wait_for(struct completion *c)
{
	for (int i = 0; i < 10000 && !atomic_load(&c->done); i++) {
		struct timespec pause = { 0, 1000000 };
		nanosleep(&pause, NULL);
	}
	return atomic_load(&c->done) ? atomic_load(&c->rc) : -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	CHECK(argc == 2, "usage: %s PLUGIN_DIRECTORY", argv[0]);
	struct dmahost_host *host = NULL;
	CHECK(dmahost_host_create(&host) == 0 && host != NULL, "dmahost_host_create");
	CHECK(dmahost_host_create(NULL) == -EINVAL, "dmahost_host_create(NULL) must be -EINVAL");

	int loaded = dmahost_load_path(host, argv[1]);
	CHECK(loaded == 2, "dmahost_load_path loaded %d drivers, expected 2", loaded);
	CHECK(dmahost_load_path(host, argv[1]) == 0, "loading the same directory again must load nothing");

	CHECK(dmahost_driver_count(host) == 2, "driver count %u", dmahost_driver_count(host));
	for (uint32_t i = 0; i < dmahost_driver_count(host); i++) {
		struct dmahost_driver_desc driver = { .size = sizeof(driver) };
		CHECK(dmahost_driver_get(host, i, &driver) == 0, "dmahost_driver_get(%u)", i);
		printf("driver %s %s %s (%s) devices=%u load=%lluns probe=%lluns\n", driver.name, driver.version, driver.path,
		       driver.source, driver.device_count, (unsigned long long)driver.load_ns, (unsigned long long)driver.probe_ns);
		CHECK(strncmp(driver.path, argv[1], strlen(argv[1])) == 0, "driver path %s is not in %s", driver.path, argv[1]);
		CHECK(strcmp(driver.source, "explicit") == 0, "source %s", driver.source);
		CHECK(driver.device_count == 2, "device_count %u", driver.device_count);
	}
	struct dmahost_driver_desc bad = { .size = sizeof(bad) };
	CHECK(dmahost_driver_get(host, 2, &bad) == -ERANGE, "driver index 2 must be -ERANGE");

	CHECK(dmahost_device_count(host) == 4, "device count %u", dmahost_device_count(host));
	const char *expected_ids[] = { "vendor-c:0", "vendor-c:1", "vendor-swift:0", "vendor-swift:1" };
	for (uint32_t i = 0; i < 4; i++) {
		struct dmahost_device_desc device = { .size = sizeof(device) };
		CHECK(dmahost_device_get(host, i, &device) == 0, "dmahost_device_get(%u)", i);
		printf("device %s type=%d caps=0x%llx open=%u: %s\n", device.id, device.type,
		       (unsigned long long)device.capabilities, device.is_open, device.description);
		CHECK(strcmp(device.id, expected_ids[i]) == 0, "device %u is %s, expected %s", i, device.id, expected_ids[i]);
		CHECK(device.type == (i < 2 ? 1001 : 1000), "device %s type %d", device.id, device.type);
		CHECK(device.capabilities & DMAHOST_CAP_COPY, "device %s lacks COPY", device.id);
	}
	/* An older caller's smaller struct is filled only up to its size. */
	struct { size_t size; const char *id; const char *driver; } small = { sizeof(small), NULL, NULL };
	CHECK(dmahost_device_get(host, 0, (struct dmahost_device_desc *)&small) == 0 && strcmp(small.id, "vendor-c:0") == 0,
	      "small descriptor");

	CHECK(dmahost_rejection_count(host) == 1, "rejection count %u (the test adds one non-plugin file)",
	      dmahost_rejection_count(host));
	struct dmahost_rejection_desc rejection = { .size = sizeof(rejection) };
	CHECK(dmahost_rejection_get(host, 0, &rejection) == 0, "dmahost_rejection_get");
	printf("rejected %s (%s): %s\n", rejection.path, rejection.kind, rejection.reason);
	CHECK(strcmp(rejection.kind, "notSharedObject") == 0, "rejection kind %s", rejection.kind);

	uint32_t indices[8], count = 0;
	char err[256] = "";
	CHECK(dmahost_select(host, "vendor:,^vendor-c:1", indices, 8, &count, err, sizeof(err)) == 0, "select: %s", err);
	CHECK(count == 3 && indices[0] == 0 && indices[1] == 2 && indices[2] == 3, "selection gave %u devices", count);
	CHECK(dmahost_select(host, "vendor:", indices, 1, &count, err, sizeof(err)) == -ENOBUFS && count == 4,
	      "a short array must give -ENOBUFS and the full count");
	int rc = dmahost_select(host, "vendr-c:0", indices, 8, &count, err, sizeof(err));
	printf("select vendr-c:0 -> %d: %s\n", rc, err);
	CHECK(rc == -ENODEV && strstr(err, "did you mean 'vendor-c:0'") != NULL, "unknown id must suggest vendor-c:0");

	struct spdk_memory_domain *domains[4];
	CHECK(dmahost_open(host, "vendor-c:0,vendor-swift:1", domains, 4, &count, err, sizeof(err)) == 0, "open: %s", err);
	CHECK(count == 2, "open gave %u domains", count);
	CHECK(strcmp(spdk_memory_domain_get_dma_device_id(domains[0]), "vendor-c:0") == 0, "first domain id");
	CHECK(spdk_memory_domain_get_dma_device_type(domains[1]) == (enum spdk_dma_device_type)1000, "second domain type");
	struct dmahost_device_desc opened = { .size = sizeof(opened) };
	CHECK(dmahost_device_get(host, 0, &opened) == 0 && opened.is_open == 1, "vendor-c:0 must be open");

	enum { LEN = 1 << 16 };
	unsigned char *source = malloc(LEN), *device_c = malloc(LEN), *device_swift = malloc(LEN), *back = malloc(LEN);
	CHECK(source && device_c && device_swift && back, "malloc");
	for (int i = 0; i < LEN; i++) {
		source[i] = (unsigned char)(i * 7 + 3);
	}
	memset(back, 0, LEN);

	/* system -> vendor-c:0 (push), split differently on each side. */
	struct iovec src_iov[2] = { { source, 100 }, { source + 100, LEN - 100 } };
	struct iovec c_iov[3] = { { device_c, 5000 }, { device_c + 5000, 1 }, { device_c + 5001, LEN - 5001 } };
	struct completion done = { 0 };
	CHECK(spdk_memory_domain_push_data(domains[0], NULL, c_iov, 3, src_iov, 2, on_complete, &done) == 0, "push");
	CHECK(wait_for(&done) == 0, "push completion");

	/* vendor-c:0 -> vendor-swift:1 (transfer on the destination). */
	struct iovec swift_iov[1] = { { device_swift, LEN } };
	struct completion moved = { 0 };
	CHECK(spdk_memory_domain_transfer_data(domains[1], NULL, swift_iov, 1, domains[0], NULL, c_iov, 3, NULL,
					       on_complete, &moved) == 0, "transfer");
	CHECK(wait_for(&moved) == 0, "transfer completion");

	/* vendor-swift:1 -> system (pull). */
	struct iovec back_iov[1] = { { back, LEN } };
	struct completion pulled = { 0 };
	CHECK(spdk_memory_domain_pull_data(domains[1], NULL, swift_iov, 1, back_iov, 1, on_complete, &pulled) == 0, "pull");
	CHECK(wait_for(&pulled) == 0, "pull completion");
	CHECK(memcmp(source, back, LEN) == 0, "data changed on the way system -> vendor-c:0 -> vendor-swift:1 -> system");

	/* memzero on vendor-c:0, and a too-short destination is -EINVAL. */
	struct completion zeroed = { 0 };
	CHECK(spdk_memory_domain_memzero(domains[0], NULL, c_iov, 3, on_complete, &zeroed) == 0, "memzero");
	CHECK(wait_for(&zeroed) == 0, "memzero completion");
	for (int i = 0; i < LEN; i++) {
		CHECK(device_c[i] == 0, "byte %d not zeroed", i);
	}
	struct iovec short_iov[1] = { { back, 10 } };
	CHECK(spdk_memory_domain_pull_data(domains[0], NULL, c_iov, 3, short_iov, 1, on_complete, &zeroed) == -EINVAL,
	      "a destination shorter than the source must be -EINVAL");

	CHECK(dmahost_close(host, "vendor-c:0") == 0, "close");
	CHECK(dmahost_close(host, "vendor-c:9") == -ENODEV, "closing an unknown device must be -ENODEV");
	CHECK(spdk_memory_domain_get_first("vendor-c:0") == NULL, "vendor-c:0 domain must be gone after close");
	dmahost_host_destroy(host);
	CHECK(spdk_memory_domain_get_first("vendor-swift:1") == NULL, "destroy must close vendor-swift:1");
	free(source);
	free(device_c);
	free(device_swift);
	free(back);
	printf("PASS\n");
	return 0;
}
