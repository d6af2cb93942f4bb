/*
 * Reports what the driver host loaded, for the secure-execution tests (Tests/DriverHostTests):
 * prints the process's real and effective ids, runs dmahost_load_default, then
 * dmahost_load_path(argv[1]) when given, and prints one line per loaded driver and per
 * rejection. The test installs it set-user-ID root and runs it as an unprivileged user with
 * DMAHOST_DRIVER_PATH pointing at a plugin that user planted.
 *
 * Output lines:
 *   ids uid=<real> euid=<effective> gid=<real> egid=<effective>
 *   load_default <return value>
 *   load_path <path> <return value>
 *   driver <name> <path> <source>
 *   rejected <path> <source> <kind>: <reason>
 * Exits 0 unless the host cannot be created.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <unistd.h>

#include "dmahost/host.h"

int main(int argc, char **argv)
{
	printf("ids uid=%u euid=%u gid=%u egid=%u\n", (unsigned)getuid(), (unsigned)geteuid(), (unsigned)getgid(),
	       (unsigned)getegid());
	struct dmahost_host *host = NULL;
	if (dmahost_host_create(&host) != 0) {
		printf("dmahost_host_create failed\n");
		return 1;
	}
	printf("load_default %d\n", dmahost_load_default(host));
	if (argc > 1) {
		printf("load_path %s %d\n", argv[1], dmahost_load_path(host, argv[1]));
	}
	for (uint32_t i = 0; i < dmahost_driver_count(host); i++) {
		struct dmahost_driver_desc driver = { .size = sizeof(driver) };
		if (dmahost_driver_get(host, i, &driver) == 0) {
			printf("driver %s %s %s\n", driver.name, driver.path, driver.source);
		}
	}
	for (uint32_t i = 0; i < dmahost_rejection_count(host); i++) {
		struct dmahost_rejection_desc rejection = { .size = sizeof(rejection) };
		if (dmahost_rejection_get(host, i, &rejection) == 0) {
			printf("rejected %s %s %s: %s\n", rejection.path, rejection.source, rejection.kind, rejection.reason);
		}
	}
	dmahost_host_destroy(host);
	return 0;
}
