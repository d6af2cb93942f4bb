/*
 * DMAHost benchmark baseline — a plain C implementation of the six spdk/dma.h functions
 * bench_cabi.c calls, with the same contract as libDMAHost.so for them: NULL checks, a
 * mutex-guarded list in creation order, exact strcmp on ids (id-less domains never match).
 *
 * run.sh builds it -O2 as a second libDMAHost.so in its own directory and links the same
 * driver against it, so each case reports the cost of the real library next to what a
 * straightforward C library costs on this machine in the same run. Not a product; written
 * for this benchmark only.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <spdk/dma.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct spdk_memory_domain {
	spdk_memory_domain_pull_data_cb pull_cb;
	struct spdk_memory_domain *next;
	char *id;
	enum spdk_dma_device_type type;
};

static struct spdk_memory_domain g_system = { .id = (char *)"system", .type = SPDK_DMA_DEVICE_TYPE_DMA };
static struct spdk_memory_domain *g_head = &g_system;
static struct spdk_memory_domain *g_tail = &g_system;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

int spdk_memory_domain_create(struct spdk_memory_domain **domain, enum spdk_dma_device_type type,
			      struct spdk_memory_domain_ctx *ctx, const char *id)
{
	struct spdk_memory_domain *d;

	(void)ctx; /* the driver passes no context */
	if (domain == NULL) {
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return -ENOMEM;
	}
	if (id != NULL && (d->id = strdup(id)) == NULL) {
		free(d);
		return -ENOMEM;
	}
	d->type = type;
	pthread_mutex_lock(&g_lock);
	g_tail->next = d;
	g_tail = d;
	pthread_mutex_unlock(&g_lock);
	*domain = d;
	return 0;
}

void spdk_memory_domain_destroy(struct spdk_memory_domain *domain)
{
	struct spdk_memory_domain *prev;

	if (domain == NULL || domain == &g_system) {
		return;
	}
	pthread_mutex_lock(&g_lock);
	for (prev = g_head; prev != NULL && prev->next != domain; prev = prev->next) {
	}
	if (prev != NULL) {
		prev->next = domain->next;
		if (g_tail == domain) {
			g_tail = prev;
		}
	}
	pthread_mutex_unlock(&g_lock);
	if (prev != NULL) {
		free(domain->id);
		free(domain);
	}
}

void spdk_memory_domain_set_pull(struct spdk_memory_domain *domain, spdk_memory_domain_pull_data_cb pull_cb)
{
	if (domain != NULL) {
		domain->pull_cb = pull_cb;
	}
}

int spdk_memory_domain_pull_data(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
				 struct iovec *src_iov, uint32_t src_iov_cnt, struct iovec *dst_iov, uint32_t dst_iov_cnt,
				 spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	if (src_domain == NULL || src_domain->pull_cb == NULL) {
		return -ENOTSUP;
	}
	return src_domain->pull_cb(src_domain, src_domain_ctx, src_iov, src_iov_cnt, dst_iov, dst_iov_cnt,
				   cpl_cb, cpl_cb_arg);
}

struct spdk_memory_domain *spdk_memory_domain_get_first(const char *id)
{
	struct spdk_memory_domain *d;

	pthread_mutex_lock(&g_lock);
	for (d = g_head; d != NULL && id != NULL; d = d->next) {
		if (d->id != NULL && strcmp(d->id, id) == 0) {
			break;
		}
	}
	pthread_mutex_unlock(&g_lock);
	return d;
}

struct spdk_memory_domain *spdk_memory_domain_get_next(struct spdk_memory_domain *prev, const char *id)
{
	struct spdk_memory_domain *d;

	if (prev == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&g_lock);
	for (d = prev->next; d != NULL && id != NULL; d = d->next) {
		if (d->id != NULL && strcmp(d->id, id) == 0) {
			break;
		}
	}
	pthread_mutex_unlock(&g_lock);
	return d;
}
