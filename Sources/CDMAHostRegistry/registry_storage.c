/*
 * DMAHost — internal: static storage of the registry and the system domain.
 * Static initialisation makes the system domain exist before any call, with no
 * constructor and no lazy-initialisation check on the hot path.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dmahost_registry.h"
#include "dmahost/iovec.h"

/*
 * The system domain's callbacks. Plain host memory has no engine behind it, so every data
 * operation and translation is -ENOTSUP; but bad arguments are answered first, with the
 * errno every other domain gives for them (dmahost/iovec.h). The callbacks are part of the
 * static record and cannot be replaced: the setters refuse the system domain.
 */

static int system_pull(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
		       struct iovec *src_iov, uint32_t src_iovcnt, struct iovec *dst_iov, uint32_t dst_iovcnt,
		       spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)src_domain, (void)src_domain_ctx, (void)cpl_cb_arg;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, NULL);
	return rc != 0 ? rc : -ENOTSUP;
}

static int system_push(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
		       struct iovec *dst_iov, uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt,
		       spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)dst_domain, (void)dst_domain_ctx, (void)cpl_cb_arg;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, NULL);
	return rc != 0 ? rc : -ENOTSUP;
}

static int system_transfer(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
			   struct iovec *dst_iov, uint32_t dst_iovcnt,
			   struct spdk_memory_domain *src_domain, void *src_domain_ctx,
			   struct iovec *src_iov, uint32_t src_iovcnt,
			   struct spdk_memory_domain_translation_result *src_translation,
			   spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)dst_domain, (void)dst_domain_ctx, (void)src_domain, (void)src_domain_ctx, (void)src_translation,
	(void)cpl_cb_arg;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, NULL);
	return rc != 0 ? rc : -ENOTSUP;
}

static int system_memzero(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *iov, uint32_t iovcnt,
			  spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)domain, (void)domain_ctx, (void)cpl_cb_arg;
	int rc = dmahost_iov_check_memzero(cpl_cb, iov, iovcnt, NULL);
	return rc != 0 ? rc : -ENOTSUP;
}

static int system_translate(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
			    struct spdk_memory_domain *dst_domain, struct spdk_memory_domain_translation_ctx *dst_domain_ctx,
			    void *addr, size_t len, struct spdk_memory_domain_translation_result *result)
{
	(void)src_domain, (void)src_domain_ctx, (void)dst_domain, (void)dst_domain_ctx;
	int rc = dmahost_iov_check_translate(addr, len, result);
	return rc != 0 ? rc : -ENOTSUP;
}

/* The stubs of the slots without a callback (dmahost_registry.h). */

int dmahost_unsupported_pull(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
			     struct iovec *src_iov, uint32_t src_iovcnt, struct iovec *dst_iov, uint32_t dst_iovcnt,
			     spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)src_domain, (void)src_domain_ctx, (void)src_iov, (void)src_iovcnt, (void)dst_iov, (void)dst_iovcnt,
	(void)cpl_cb, (void)cpl_cb_arg;
	return -ENOTSUP;
}

int dmahost_unsupported_push(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
			     struct iovec *dst_iov, uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt,
			     spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)dst_domain, (void)dst_domain_ctx, (void)dst_iov, (void)dst_iovcnt, (void)src_iov, (void)src_iovcnt,
	(void)cpl_cb, (void)cpl_cb_arg;
	return -ENOTSUP;
}

int dmahost_unsupported_transfer(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
				 struct iovec *dst_iov, uint32_t dst_iovcnt, struct spdk_memory_domain *src_domain,
				 void *src_domain_ctx, struct iovec *src_iov, uint32_t src_iovcnt,
				 struct spdk_memory_domain_translation_result *src_translation,
				 spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)dst_domain, (void)dst_domain_ctx, (void)dst_iov, (void)dst_iovcnt, (void)src_domain, (void)src_domain_ctx,
	(void)src_iov, (void)src_iovcnt, (void)src_translation, (void)cpl_cb, (void)cpl_cb_arg;
	return -ENOTSUP;
}

int dmahost_unsupported_translate(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
				  struct spdk_memory_domain *dst_domain, struct spdk_memory_domain_translation_ctx *dst_domain_ctx,
				  void *addr, size_t len, struct spdk_memory_domain_translation_result *result)
{
	(void)src_domain, (void)src_domain_ctx, (void)dst_domain, (void)dst_domain_ctx, (void)addr, (void)len, (void)result;
	return -ENOTSUP;
}

void dmahost_unsupported_invalidate(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *iov, uint32_t iovcnt)
{
	(void)domain, (void)domain_ctx, (void)iov, (void)iovcnt;
}

int dmahost_unsupported_memzero(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *iov, uint32_t iovcnt,
				spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)domain, (void)domain_ctx, (void)iov, (void)iovcnt, (void)cpl_cb, (void)cpl_cb_arg;
	return -ENOTSUP;
}

struct spdk_memory_domain dmahost_system_domain_instance = {
	.pull_cb = system_pull,
	.push_cb = system_push,
	.transfer_cb = system_transfer,
	.translate_cb = system_translate,
	.invalidate_cb = dmahost_unsupported_invalidate,
	.memzero_cb = system_memzero,
	.id = (char *)"system",
	.type = SPDK_DMA_DEVICE_TYPE_DMA,
	.flags = DMAHOST_DOMAIN_FLAG_SYSTEM,
	.seq = 0,
};

struct dmahost_registry dmahost_registry_instance = {
	.head = &dmahost_system_domain_instance,
	.tail = &dmahost_system_domain_instance,
	.count = 1,
	.last_seq = 0,
};

struct dmahost_grave dmahost_graves[DMAHOST_GRAVEYARD_RECORDS];

struct dmahost_domains_destroyed_line dmahost_domains_destroyed_instance;

uint32_t dmahost_registry_mutex;

_Static_assert((DMAHOST_GRAVEYARD_RECORDS & (DMAHOST_GRAVEYARD_RECORDS - 1)) == 0, "the graveyard size is a power of two");
_Static_assert(DMAHOST_GRAVEYARD_RECORDS >= DMAHOST_QUARANTINE_RECORDS, "the quarantine is part of the graveyard");
_Static_assert(sizeof(struct dmahost_id_slot) == 64, "an id slot is one cache line");
_Static_assert(offsetof(struct dmahost_id_slot, short_key) == DMAHOST_ID_SHORT_KEY_OFFSET, "short_key offset");

/* Spins of dmahost_registry_lock_contended before it sleeps: registry calls hold the mutex for
 * well under a microsecond, so a waiter usually gets it without a system call. */
#define DMAHOST_REGISTRY_SPINS 128

void dmahost_registry_lock_contended(void)
{
	uint32_t *word = &dmahost_registry_mutex;
	for (int spin = 0; spin < DMAHOST_REGISTRY_SPINS; spin++) {
		uint32_t expected = 0;
		if (__atomic_load_n(word, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(word, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			return;
		}
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ volatile("yield");
#endif
	}
	/* From here on the word says 2 while this thread may sleep, so that the holder's release
	 * wakes it. Taking the mutex with 2 is conservative: at worst one needless wake-up. */
	while (__atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE) != 0) {
		/* Returns at once if the word is no longer 2 (EAGAIN), on a wake-up, or on a signal
		 * (EINTR): each case loops and tries again. */
		syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
	}
}

void dmahost_registry_wake_waiter(void)
{
	syscall(SYS_futex, &dmahost_registry_mutex, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
