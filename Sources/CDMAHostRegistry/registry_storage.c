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
};

struct dmahost_registry dmahost_registry_instance = {
	.mutex = PTHREAD_MUTEX_INITIALIZER,
	.head = &dmahost_system_domain_instance,
	.tail = &dmahost_system_domain_instance,
	.count = 1,
};
