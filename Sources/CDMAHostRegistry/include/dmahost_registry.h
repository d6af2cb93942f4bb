/*
 * DMAHost — internal: the layout of a memory domain record and the registry it lives in.
 * Not installed, not part of any ABI. The logic that uses these lives in Swift
 * (Sources/DMAHost/Core); the layout is C so that the dispatch hot path reads plain
 * fields with no reference counting or exclusivity checks.
 */
#ifndef DMAHOST_REGISTRY_H
#define DMAHOST_REGISTRY_H

#include <pthread.h>
#include <stdint.h>
#include "spdk/dma.h"

#pragma clang diagnostic ignored "-Wnullability-completeness"

/** One memory domain. Allocated with calloc, freed by destroy. */
struct spdk_memory_domain {
	spdk_memory_domain_pull_data_cb pull_cb;
	spdk_memory_domain_push_data_cb push_cb;
	spdk_memory_domain_transfer_data_cb transfer_cb;
	spdk_memory_domain_translate_memory_cb translate_cb;
	spdk_memory_domain_invalidate_data_cb invalidate_cb;
	spdk_memory_domain_memzero_cb memzero_cb;
	/** Registry links, guarded by the registry mutex. */
	struct spdk_memory_domain *next;
	struct spdk_memory_domain *prev;
	/** Library-owned copy of the id (NULL when none). */
	char *id;
	/** Library-owned copy of the context (NULL when none). */
	struct spdk_memory_domain_ctx *ctx;
	/** Library-owned copy of the user context (NULL when none). */
	void *user_ctx;
	size_t user_ctx_size;
	int32_t type;
	/** DMAHOST_DOMAIN_FLAG_* bits. */
	uint32_t flags;
};

/** The domain is the static system domain and is never freed. */
#define DMAHOST_DOMAIN_FLAG_SYSTEM 1u

/** The process-wide registry: a doubly linked list in creation order. */
struct dmahost_registry {
	pthread_mutex_t mutex;
	struct spdk_memory_domain *head;
	struct spdk_memory_domain *tail;
	uint64_t count;
};

/** The registry, statically initialised with the system domain as its only member. */
extern struct dmahost_registry dmahost_registry_instance;
/** The system domain, statically initialised (exists from load time). */
extern struct spdk_memory_domain dmahost_system_domain_instance;

static inline struct dmahost_registry *_Nonnull dmahost_registry(void) { return &dmahost_registry_instance; }
static inline struct spdk_memory_domain *_Nonnull dmahost_system_domain(void) { return &dmahost_system_domain_instance; }
static inline void dmahost_registry_lock(void) { pthread_mutex_lock(&dmahost_registry_instance.mutex); }
static inline void dmahost_registry_unlock(void) { pthread_mutex_unlock(&dmahost_registry_instance.mutex); }

#endif /* DMAHOST_REGISTRY_H */
