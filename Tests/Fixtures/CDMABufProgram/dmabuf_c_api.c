/*
 * DMAHost tests — a C program using a dma-buf domain through the C ABI only:
 * dmahost/host.h (load the dmaengine plugin, open dmaengine:udmabuf), dmahost/dmabuf.h (the
 * domain's allocation interface in its user context) and spdk/dma.h (push, pull, translate).
 *
 * Usage: dmabuf_c_api <path of libdmahost-dmaengine.so>
 * Exit: 0 and "PASS" on success; 77 and "SKIP: <reason>" when the machine has no udmabuf
 * device; 1 and "FAIL: <what>" otherwise.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dmahost/dmabuf.h"
#include "dmahost/host.h"
#include "spdk/dma.h"

#define LENGTH (3 * 4096 + 100)

static int failures;
#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			printf("FAIL: %s:%d: ", __FILE__, __LINE__);    \
			printf(__VA_ARGS__);                            \
			printf("\n");                                   \
			failures++;                                     \
		}                                                       \
	} while (0)

struct completion {
	atomic_int done;
	atomic_int rc;
};

static void on_complete(void *ctx, int rc)
{
	struct completion *c = ctx;
	atomic_store(&c->rc, rc);
	atomic_fetch_add(&c->done, 1);
}

/* Waits up to 10 s for the completion; returns its rc, or -ETIMEDOUT. */
static int wait_for(struct completion *c)
{
	for (int i = 0; i < 10000 && atomic_load(&c->done) == 0; i++) {
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	return atomic_load(&c->done) == 1 ? atomic_load(&c->rc) : -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s <libdmahost-dmaengine.so>\n", argv[0]);
		return 2;
	}
	struct dmahost_host *host = NULL;
	CHECK(dmahost_host_create(&host) == 0, "dmahost_host_create");
	if (host == NULL)
		return 1;
	CHECK(dmahost_load_path(host, argv[1]) == 1, "the plugin loads");

	struct spdk_memory_domain *domain = NULL;
	uint32_t count = 0;
	char err[512] = "";
	int rc = dmahost_open(host, "dmaengine:udmabuf", &domain, 1, &count, err, sizeof(err));
	if (rc == -ENODEV) {
		printf("SKIP: no dmaengine:udmabuf device (%s)\n", err);
		dmahost_host_destroy(host);
		return 77;
	}
	CHECK(rc == 0 && count == 1 && domain != NULL, "open dmaengine:udmabuf: %d %s", rc, err);
	if (domain == NULL)
		return 1;
	CHECK(strcmp(spdk_memory_domain_get_dma_device_id(domain), "dmabuf:udmabuf") == 0, "domain id");
	CHECK(spdk_memory_domain_get_dma_device_type(domain) == SPDK_DMA_DEVICE_TYPE_DMA, "domain type");

	size_t ctx_size = 0;
	void *user = spdk_memory_domain_get_user_context(domain, &ctx_size);
	const struct dmahost_dmabuf_domain_ctx *ctx = dmahost_dmabuf_domain_ctx_get(user, ctx_size);
	CHECK(ctx != NULL && ctx->source == DMAHOST_DMABUF_SOURCE_UDMABUF, "the user context is a udmabuf allocation interface");
	if (ctx == NULL)
		return 1;

	struct dmahost_dmabuf_buffer buffer = { .size = sizeof(buffer) };
	CHECK(ctx->alloc(ctx, LENGTH, &buffer) == 0, "alloc");
	CHECK(buffer.length >= LENGTH && buffer.length % 4096 == 0 && buffer.fd >= 0 && buffer.memfd >= 0, "buffer fields");

	unsigned char *data = malloc(LENGTH);
	unsigned char *back = calloc(1, LENGTH);
	for (int i = 0; i < LENGTH; i++)
		data[i] = (unsigned char)(i * 13 + 5);

	/* push: two source pieces into three destination pieces. */
	struct iovec src[2] = { { data, 1000 }, { data + 1000, LENGTH - 1000 } };
	struct iovec dst[3] = { { buffer.addr, 7 }, { (char *)buffer.addr + 7, 5000 }, { (char *)buffer.addr + 5007, LENGTH - 5007 } };
	struct completion pushed = { 0 };
	rc = spdk_memory_domain_push_data(domain, NULL, dst, 3, src, 2, on_complete, &pushed);
	CHECK(rc == 0, "push started: %d", rc);
	CHECK(wait_for(&pushed) == 0, "push completed");

	unsigned char *memfd_view = calloc(1, LENGTH);
	CHECK(pread(buffer.memfd, memfd_view, LENGTH, 0) == LENGTH, "pread memfd");
	CHECK(memcmp(memfd_view, data, LENGTH) == 0, "the memfd holds what was pushed");

	struct iovec from[1] = { { buffer.addr, LENGTH } };
	struct iovec into[1] = { { back, LENGTH } };
	struct completion pulled = { 0 };
	CHECK(spdk_memory_domain_pull_data(domain, NULL, from, 1, into, 1, on_complete, &pulled) == 0, "pull started");
	CHECK(wait_for(&pulled) == 0, "pull completed");
	CHECK(memcmp(back, data, LENGTH) == 0, "pull returns the data");

	struct dmahost_dmabuf_translation_result translation = { .base.size = sizeof(translation) };
	rc = spdk_memory_domain_translate_data(domain, NULL, spdk_memory_domain_get_system_domain(), NULL,
					       (char *)buffer.addr + 4096, 100, &translation.base);
	CHECK(rc == 0, "translate: %d", rc);
	CHECK(translation.base.iov.iov_base == (char *)buffer.addr + 4096 && translation.base.iov.iov_len == 100, "translate iov");
	CHECK(translation.dmabuf.fd == buffer.fd && translation.dmabuf.offset == 4096 && translation.dmabuf.length == 100, "translate dma-buf range");

	struct iovec outside[1] = { { back, 16 } };
	struct iovec into16[1] = { { back + 64, 16 } };
	struct completion never = { 0 };
	CHECK(spdk_memory_domain_pull_data(domain, NULL, outside, 1, into16, 1, on_complete, &never) == -EFAULT,
	      "an address outside the domain's buffers is refused");
	CHECK(spdk_memory_domain_pull_data(domain, NULL, from, 1, into16, 1, on_complete, &never) == -EINVAL,
	      "a destination shorter than the source is refused (dmahost/iovec.h)");
	CHECK(ctx->release(ctx, buffer.addr) == 0, "release");
	CHECK(ctx->release(ctx, buffer.addr) == -ENOENT, "second release");

	free(data);
	free(back);
	free(memfd_view);
	CHECK(dmahost_close(host, "dmaengine:udmabuf") == 0, "close");
	dmahost_host_destroy(host);
	if (failures) {
		printf("FAIL: %d checks failed\n", failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
