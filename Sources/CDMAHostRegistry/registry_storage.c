/*
 * DMAHost — internal: static storage of the registry and the system domain.
 * Static initialisation makes the system domain exist before any call, with no
 * constructor and no lazy-initialisation check on the hot path.
 */
#include "dmahost_registry.h"

struct spdk_memory_domain dmahost_system_domain_instance = {
	.id = (char *)"system",
	.type = SPDK_DMA_DEVICE_TYPE_DMA,
	.flags = DMAHOST_DOMAIN_FLAG_SYSTEM,
	.seq = 0,
};

struct dmahost_registry dmahost_registry_instance = {
	.mutex = PTHREAD_MUTEX_INITIALIZER,
	.head = &dmahost_system_domain_instance,
	.tail = &dmahost_system_domain_instance,
	.count = 1,
	.last_seq = 0,
};

struct dmahost_grave dmahost_graves[DMAHOST_GRAVEYARD_RECORDS];

_Static_assert((DMAHOST_GRAVEYARD_RECORDS & (DMAHOST_GRAVEYARD_RECORDS - 1)) == 0, "the graveyard size is a power of two");
_Static_assert(DMAHOST_GRAVEYARD_RECORDS >= DMAHOST_QUARANTINE_RECORDS, "the quarantine is part of the graveyard");
