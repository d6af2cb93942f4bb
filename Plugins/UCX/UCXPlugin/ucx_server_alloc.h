/*
 * DMAHost UCX backend — the server's allocator over its region.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef DMAHOST_UCX_SERVER_ALLOC_H
#define DMAHOST_UCX_SERVER_ALLOC_H

#include <stdint.h>

/** One allocated range and the client holding it. */
struct ucx_range {
	struct ucx_range *next;
	uint64_t start, length;
	const void *owner;
};

/** First-fit allocation over [base, base + length): the ranges are kept sorted by address. */
struct ucx_allocator {
	uint64_t base, length;
	struct ucx_range *ranges;
};

/** Allocates \b length bytes aligned to \b alignment (a power of two) for \b owner: 0, -EINVAL, -ENOMEM. */
int ucx_allocator_alloc(struct ucx_allocator *allocator, const void *owner, uint64_t length, uint64_t alignment,
			uint64_t *address);
/** Frees \b owner's range that starts at \b address: 0 or -ENOENT. */
int ucx_allocator_free(struct ucx_allocator *allocator, const void *owner, uint64_t address);
/** Frees every range of \b owner. */
void ucx_allocator_free_owner(struct ucx_allocator *allocator, const void *owner);
/** Counts \b owner's ranges and their bytes. */
void ucx_allocator_usage(const struct ucx_allocator *allocator, const void *owner, uint64_t *count, uint64_t *bytes);

#endif /* DMAHOST_UCX_SERVER_ALLOC_H */
