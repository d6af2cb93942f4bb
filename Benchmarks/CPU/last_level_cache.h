/*
 * DMAHost — the size of the last-level cache, for the benchmarks that plan cold working sets
 * (membw.c, kernels.c) as dmactl bench does.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef DMAHOST_LAST_LEVEL_CACHE_H
#define DMAHOST_LAST_LEVEL_CACHE_H

#include <stdio.h>
#include <stdlib.h>

/* The largest data or unified cache of cpu0 in sysfs, in bytes; 32 MiB when there is none. */
static size_t last_level_cache(void) {
	size_t best = 0;
	for (int index = 0; index < 16; index++) {
		char path[128], text[64] = "";
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
		FILE *file = fopen(path, "r");
		if (!file) continue;
		if (fgets(text, sizeof(text), file)) {
			char *end = NULL;
			size_t value = strtoul(text, &end, 10);
			if (end && *end == 'K') value <<= 10;
			if (end && *end == 'M') value <<= 20;
			if (value > best) best = value;
		}
		fclose(file);
	}
	return best ? best : (size_t)32 << 20;
}

#endif /* DMAHOST_LAST_LEVEL_CACHE_H */
