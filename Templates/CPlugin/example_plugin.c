/*
 * A DMAHost backend plugin in C, built outside the DMAHost source tree against the installed
 * headers only (pkg-config dmahost-driver). Copy this folder, rename the driver (NAME in the
 * Makefile) and replace the data path with your device's.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * It serves one simulated device, "<name>:0" of vendor type 1100, whose memory is host memory.
 * The open device has one memory domain (id = device id) with pull, push and memzero callbacks
 * that move the data synchronously and call the completion before they return 0: a callback may
 * complete inside the submitting call (dmahost/driver.h, "Completions inside the submitting
 * call"). A device that works asynchronously returns 0 at once and calls the completion later,
 * from its own thread, as Plugins/VendorSampleC of the DMAHost tree does.
 *
 * The plugin links nothing of DMAHost: it reaches the host only through the table its entry
 * receives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmahost/driver.h>
#include <dmahost/iovec.h>

#ifndef DRIVER_NAME
#define DRIVER_NAME "example-c"
#endif
#define DRIVER_VERSION "1.0.0"
#define DEVICE_ID DRIVER_NAME ":0"
/** A vendor type (1000–1999): SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 100. */
#define DEVICE_TYPE ((int32_t)SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 100)

/** Everything the entry allocates; freed by fini. The host serialises probe, open, close and fini. */
struct example_driver {
	struct dmahost_driver_ops ops;
	const struct dmahost_host_api *host;
	int32_t types[1];
	struct dmahost_device_info device;
	/** The device's domain while it is open, else NULL. */
	struct spdk_memory_domain *domain;
};

/*
 * The data path. The domain's addresses are host addresses, so a callback needs no state: it
 * checks its arguments (dmahost/iovec.h), moves the bytes and completes.
 */

/**
 * Copies the bytes of `src` into `dst`; both lists hold the same number of bytes (checked).
 * Each destination entry is filled from a cursor over the source entries, whose cut may differ.
 */
static void copy_between_lists(const struct iovec *dst, uint32_t dst_count, const struct iovec *src, uint32_t src_count)
{
	uint32_t from = 0;
	size_t consumed = 0;

	for (uint32_t to = 0; to < dst_count; to++) {
		size_t filled = 0;

		while (filled < dst[to].iov_len && from < src_count) {
			size_t wanted = dst[to].iov_len - filled, left = src[from].iov_len - consumed;
			size_t length = wanted < left ? wanted : left;

			if (length > 0) {
				memmove((char *)dst[to].iov_base + filled, (const char *)src[from].iov_base + consumed, length);
			}
			filled += length;
			consumed += length;
			if (consumed == src[from].iov_len) {
				from++;
				consumed = 0;
			}
		}
	}
}

/**
 * The body of pull and push: check the arguments, copy, complete. Called with the roles of the
 * callback's lists resolved: `src` is read, `dst` written.
 */
static int copy_and_complete(struct iovec *src, uint32_t src_count, struct iovec *dst, uint32_t dst_count,
			     spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	int rc = dmahost_iov_check_copy(cpl_cb, src, src_count, dst, dst_count, NULL);

	if (rc != 0) {
		return rc;
	}
	copy_between_lists(dst, dst_count, src, src_count);
	cpl_cb(cpl_cb_arg, 0);
	return 0;
}

/** pull: `src_iov` is in this domain, `dst_iov` in system memory. */
static int example_pull(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *src_iov, uint32_t src_iovcnt,
			struct iovec *dst_iov, uint32_t dst_iovcnt, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)domain;
	(void)domain_ctx;
	return copy_and_complete(src_iov, src_iovcnt, dst_iov, dst_iovcnt, cpl_cb, cpl_cb_arg);
}

/** push: `src_iov` (the fourth and fifth arguments) is in system memory, `dst_iov` in this domain. */
static int example_push(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *dst_iov, uint32_t dst_iovcnt,
			struct iovec *src_iov, uint32_t src_iovcnt, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)domain;
	(void)domain_ctx;
	return copy_and_complete(src_iov, src_iovcnt, dst_iov, dst_iovcnt, cpl_cb, cpl_cb_arg);
}

/** memzero: zero `iov`, in this domain. */
static int example_memzero(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *iov, uint32_t iovcnt,
			   spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	int rc = dmahost_iov_check_memzero(cpl_cb, iov, iovcnt, NULL);

	(void)domain;
	(void)domain_ctx;
	if (rc != 0) {
		return rc;
	}
	for (uint32_t i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0) {
			memset(iov[i].iov_base, 0, iov[i].iov_len);
		}
	}
	cpl_cb(cpl_cb_arg, 0);
	return 0;
}

/* The driver functions. */

static void set_error(char *err, size_t err_len, const char *message)
{
	if (err != NULL && err_len > 0) {
		snprintf(err, err_len, "%s", message);
	}
}

/** Reports the one device; a driver of real hardware reports what it finds (zero is no error). */
static int example_probe(void *driver_ctx, const struct dmahost_device_info **devices, uint32_t *count, char *err, size_t err_len)
{
	struct example_driver *driver = driver_ctx;

	(void)err;
	(void)err_len;
	*devices = &driver->device;
	*count = 1;
	return 0;
}

/** Creates the device's domain through the host table and registers its callbacks. */
static int example_open(void *driver_ctx, const char *device_id, char *err, size_t err_len)
{
	struct example_driver *driver = driver_ctx;
	int rc;

	if (strcmp(device_id, DEVICE_ID) != 0) {
		set_error(err, err_len, "no such device; the device is " DEVICE_ID);
		return -ENODEV;
	}
	if (driver->domain != NULL) {
		return 0;
	}
	rc = driver->host->domain_create(driver->host->host_ctx, DEVICE_ID, &driver->domain, DEVICE_TYPE, NULL, DEVICE_ID);
	if (rc != 0) {
		driver->domain = NULL;
		set_error(err, err_len, "the host refused to create the domain");
		return rc;
	}
	driver->host->spdk_memory_domain_set_pull(driver->domain, example_pull);
	driver->host->spdk_memory_domain_set_push(driver->domain, example_push);
	driver->host->spdk_memory_domain_set_memzero(driver->domain, example_memzero);
	return 0;
}

/** Destroys the domain (nothing is in flight: every operation completed before it returned). */
static void example_close(void *driver_ctx, const char *device_id)
{
	struct example_driver *driver = driver_ctx;

	if (strcmp(device_id, DEVICE_ID) == 0 && driver->domain != NULL) {
		driver->host->domain_destroy(driver->host->host_ctx, driver->domain);
		driver->domain = NULL;
	}
}

/** One line per check, shown by `dmactl doctor`. */
static int example_diagnose(void *driver_ctx, dmahost_diagnostic_fn emit, void *emit_arg)
{
	(void)driver_ctx;
	emit(emit_arg, "hardware", 1, "none needed: " DEVICE_ID " is simulated (template plugin)");
	return 0;
}

static void example_fini(void *driver_ctx)
{
	example_close(driver_ctx, DEVICE_ID);
	free(driver_ctx);
}

/** The entry: checks the host's ABI, then fills and returns the ops table. */
const struct dmahost_driver_ops *dmahost_driver_entry(const struct dmahost_host_api *host)
{
	struct example_driver *driver;

	if (host == NULL) {
		return NULL;
	}
	if (host->abi_major != DMAHOST_DRIVER_ABI_MAJOR || host->size < sizeof(struct dmahost_host_api)) {
		if (host->log != NULL) {
			host->log(host->host_ctx, DMAHOST_LOG_ERROR, DRIVER_NAME ": built for another DMAHost driver ABI; rebuild it");
		}
		return NULL;
	}
	driver = calloc(1, sizeof(*driver));
	if (driver == NULL) {
		host->log(host->host_ctx, DMAHOST_LOG_ERROR, DRIVER_NAME ": out of memory");
		return NULL;
	}
	driver->host = host;
	driver->types[0] = DEVICE_TYPE;
	driver->device = (struct dmahost_device_info){
		.size = sizeof(struct dmahost_device_info),
		.id = DEVICE_ID,
		.type = DEVICE_TYPE,
		.alignment = 1,
		.description = "template copy engine (C, host memory, completes inline)",
		.capabilities = DMAHOST_CAP_COPY | DMAHOST_CAP_FILL | DMAHOST_CAP_SCATTER_GATHER,
	};
	driver->ops = (struct dmahost_driver_ops){
		.size = sizeof(struct dmahost_driver_ops),
		.abi_major = DMAHOST_DRIVER_ABI_MAJOR,
		.abi_minor = DMAHOST_DRIVER_ABI_MINOR,
		.name = DRIVER_NAME,
		.version = DRIVER_VERSION,
		.device_types = driver->types,
		.device_type_count = 1,
		.driver_ctx = driver,
		.probe = example_probe,
		.open = example_open,
		.close = example_close,
		.diagnose = example_diagnose,
		.fini = example_fini,
	};
	return &driver->ops;
}
