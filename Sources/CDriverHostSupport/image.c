/* dladdr(3) is a GNU extension; this is the one place that enables it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

#include "dmahost_image.h"

const char *dmahost_image_path_containing(const void *address)
{
	Dl_info info;
	if (dladdr(address, &info) == 0) {
		return NULL;
	}
	return info.dli_fname;
}
