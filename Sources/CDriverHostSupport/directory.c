/* O_PATH needs _GNU_SOURCE; this is the one place that enables it for directories. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>

#include "dmahost_directory.h"

int dmahost_open_directory_path(int directory, const char *name)
{
	int fd;
	do {
		fd = openat(directory, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	return fd;
}
