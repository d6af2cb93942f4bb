/* dladdr(3), dladdr1(3) and dlinfo(3) are GNU extensions; this is the one place that enables them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>

#include "dmahost_image.h"

const char *dmahost_image_path_containing(const void *address)
{
	Dl_info info;
	struct link_map *map = NULL;
	if (dladdr1(address, &info, (void **)&map, RTLD_DL_LINKMAP) == 0 || map == NULL) {
		return NULL;
	}
	/* The main program has an empty name in the link map; dladdr would report argv[0] for it,
	 * which the caller of a set-user-ID program chooses. */
	if (map->l_name == NULL || map->l_name[0] == '\0') {
		return NULL;
	}
	return map->l_name;
}

const void *dmahost_image_containing(const void *address)
{
	Dl_info info;
	struct link_map *map = NULL;
	if (dladdr1(address, &info, (void **)&map, RTLD_DL_LINKMAP) == 0) {
		return NULL;
	}
	return map;
}

const void *dmahost_image_of_handle(void *handle)
{
	struct link_map *map = NULL;
	if (handle == NULL || dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0) {
		return NULL;
	}
	return map;
}
