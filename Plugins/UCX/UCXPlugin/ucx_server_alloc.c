/*
 * DMAHost UCX backend — the server's allocator over its region (first fit, sorted ranges).
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "ucx_server_alloc.h"

#include <errno.h>
#include <stdlib.h>

int ucx_allocator_alloc(struct ucx_allocator *allocator, const void *owner, uint64_t length, uint64_t alignment,
			uint64_t *address)
{
	if (length == 0 || alignment == 0 || (alignment & (alignment - 1)) != 0 || length > allocator->length) {
		return length > allocator->length ? -ENOMEM : -EINVAL;
	}
	uint64_t end = allocator->base + allocator->length;
	uint64_t cursor = allocator->base;
	struct ucx_range **link = &allocator->ranges;
	for (;;) {
		uint64_t aligned = (cursor + alignment - 1) & ~(alignment - 1);
		uint64_t limit = *link != NULL ? (*link)->start : end;
		if (aligned >= cursor && aligned <= limit && limit - aligned >= length) {
			struct ucx_range *range = malloc(sizeof(*range));
			if (range == NULL) {
				return -ENOMEM;
			}
			*range = (struct ucx_range) { .next = *link, .start = aligned, .length = length, .owner = owner };
			*link = range;
			*address = aligned;
			return 0;
		}
		if (*link == NULL) {
			return -ENOMEM;
		}
		cursor = (*link)->start + (*link)->length;
		link = &(*link)->next;
	}
}

int ucx_allocator_free(struct ucx_allocator *allocator, const void *owner, uint64_t address)
{
	for (struct ucx_range **link = &allocator->ranges; *link != NULL; link = &(*link)->next) {
		struct ucx_range *range = *link;
		if (range->start == address && range->owner == owner) {
			*link = range->next;
			free(range);
			return 0;
		}
	}
	return -ENOENT;
}

void ucx_allocator_free_owner(struct ucx_allocator *allocator, const void *owner)
{
	struct ucx_range **link = &allocator->ranges;
	while (*link != NULL) {
		struct ucx_range *range = *link;
		if (range->owner == owner) {
			*link = range->next;
			free(range);
		} else {
			link = &range->next;
		}
	}
}

void ucx_allocator_usage(const struct ucx_allocator *allocator, const void *owner, uint64_t *count, uint64_t *bytes)
{
	*count = 0;
	*bytes = 0;
	for (const struct ucx_range *range = allocator->ranges; range != NULL; range = range->next) {
		if (range->owner == owner) {
			(*count)++;
			*bytes += range->length;
		}
	}
}
