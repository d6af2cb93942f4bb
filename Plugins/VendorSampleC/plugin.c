/*
 * DMAHost vendor sample (C) — the plugin: ops table, devices, memory domains and their callbacks.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * A pure C plugin: it includes only the public headers (spdk/dma.h, dmahost/driver.h), links
 * nothing of DMAHost, and reaches the host only through the table given to its entry.
 * It serves VS_DEVICE_COUNT simulated devices of vendor type 1001; each open device has one
 * memory domain (id = device id) backed by a copy engine (engine.c) that works on host memory.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmahost/driver.h"
#include "dmahost/iovec.h"
#include "vs_engine.h"

#define VS_DRIVER_NAME "vendor-c"
#define VS_DRIVER_VERSION "1.0.0"
/** Vendor type: SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 1. */
#define VS_DEVICE_TYPE ((int32_t)SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 1)
#define VS_DEVICE_COUNT 2
/** The configuration variable the sample reads: how many of its devices probe reports. */
#define VS_DEVICES_VARIABLE "DMAHOST_VENDOR_C_DEVICES"

/**
 * The variables the driver reads, declared in its ops table (ABI 1.2) so that `dmactl env`
 * lists them: a static array, valid for the life of the process.
 */
static const struct dmahost_config_variable vs_config_variables[] = {
	{
		.size = sizeof(struct dmahost_config_variable),
		.name = VS_DEVICES_VARIABLE,
		.default_value = "2",
		.doc = "How many simulated devices probe reports (0...2); other values are ignored.",
	},
};

struct vs_driver;

/** One simulated device: its engine and, while open, its domain. */
struct vs_device {
	struct vs_driver *driver;
	char id[32];
	char description[96];
	struct spdk_memory_domain *domain;
	struct vs_engine engine;
};

/** Everything one entry call created. Freed by fini. */
struct vs_driver {
	struct dmahost_driver_ops ops;
	const struct dmahost_host_api *host;
	int32_t types[1];
	struct dmahost_device_info infos[VS_DEVICE_COUNT];
	struct vs_device devices[VS_DEVICE_COUNT];
};

/*
 * Domain callbacks receive only the domain; they find its device through the domain's user
 * context, which they read with a host table function. Every host table holds the same
 * spdk_memory_domain_* functions (only host_ctx differs), so the first table seen serves all.
 */
static _Atomic(const struct dmahost_host_api *) g_host_functions;

static void set_error(char *err, size_t err_len, const char *message)
{
	if (err != NULL && err_len > 0) {
		snprintf(err, err_len, "%s", message);
	}
}

static struct vs_device *device_of(struct spdk_memory_domain *domain)
{
	const struct dmahost_host_api *host = atomic_load(&g_host_functions);
	if (host == NULL || domain == NULL) {
		return NULL;
	}
	size_t size = 0;
	void *context = host->spdk_memory_domain_get_user_context(domain, &size);
	if (context == NULL || size != sizeof(struct vs_device *)) {
		return NULL;
	}
	struct vs_device *device;
	memcpy(&device, context, sizeof(device));
	return device;
}

/* True for a domain of this driver (any instance): vendor type 1001 and a "vendor-c:" id. */
static int is_ours(const struct dmahost_host_api *host, struct spdk_memory_domain *domain)
{
	const char *id = host->spdk_memory_domain_get_dma_device_id(domain);
	return (int32_t)host->spdk_memory_domain_get_dma_device_type(domain) == VS_DEVICE_TYPE && id != NULL &&
	       strncmp(id, VS_DRIVER_NAME ":", strlen(VS_DRIVER_NAME ":")) == 0;
}

/*
 * Every callback first checks its arguments with dmahost/iovec.h and returns the errno it
 * gives (without calling cpl_cb): the engine then takes only valid lists of equal totals, and
 * moves exactly the bytes they describe.
 */

/* pull: src_domain is ours; its buffers are host memory. */
static int vs_pull(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
		   struct iovec *src_iov, uint32_t src_iovcnt, struct iovec *dst_iov, uint32_t dst_iovcnt,
		   spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)src_domain_ctx;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, NULL);
	if (rc != 0) {
		return rc;
	}
	struct vs_device *device = device_of(src_domain);
	if (device == NULL) {
		return -ENODEV;
	}
	return vs_engine_submit_copy(&device->engine, dst_iov, dst_iovcnt, src_iov, src_iovcnt, cpl_cb, cpl_cb_arg);
}

/* push: dst_domain is ours. */
static int vs_push(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
		   struct iovec *dst_iov, uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt,
		   spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)dst_domain_ctx;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, NULL);
	if (rc != 0) {
		return rc;
	}
	struct vs_device *device = device_of(dst_domain);
	if (device == NULL) {
		return -ENODEV;
	}
	return vs_engine_submit_copy(&device->engine, dst_iov, dst_iovcnt, src_iov, src_iovcnt, cpl_cb, cpl_cb_arg);
}

static int vs_memzero(struct spdk_memory_domain *domain, void *domain_ctx, struct iovec *iov, uint32_t iovcnt,
		      spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)domain_ctx;
	int rc = dmahost_iov_check_memzero(cpl_cb, iov, iovcnt, NULL);
	if (rc != 0) {
		return rc;
	}
	struct vs_device *device = device_of(domain);
	if (device == NULL) {
		return -ENODEV;
	}
	return vs_engine_submit_zero(&device->engine, iov, iovcnt, cpl_cb, cpl_cb_arg);
}

/* translate: our buffers are host memory, so into the system domain (or ourselves) the
 * translation is the identity. Other domains need their own keys or handles: -ENOTSUP. */
static int vs_translate(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
			struct spdk_memory_domain *dst_domain, struct spdk_memory_domain_translation_ctx *dst_domain_ctx,
			void *addr, size_t len, struct spdk_memory_domain_translation_result *result)
{
	(void)src_domain_ctx;
	(void)dst_domain_ctx;
	int rc = dmahost_iov_check_translate(addr, len, result);
	if (rc != 0) {
		return rc;
	}
	const struct dmahost_host_api *host = atomic_load(&g_host_functions);
	if (host == NULL) {
		return -ENODEV;
	}
	if (dst_domain != host->spdk_memory_domain_get_system_domain() && dst_domain != src_domain) {
		return -ENOTSUP;
	}
	result->iov_count = 1;
	result->iov.iov_base = addr;
	result->iov.iov_len = len;
	result->iovs = &result->iov;
	result->dst_domain = dst_domain;
	return 0;
}

/* Source segments of a transfer as host addresses: the system domain's and our own are host
 * memory already; any other domain is asked to translate each segment into the system domain.
 * Returns a malloc'd array (caller frees) or NULL with *rc set. */
static struct iovec *source_in_host_memory(const struct dmahost_host_api *host, struct spdk_memory_domain *src_domain,
		void *src_domain_ctx, struct iovec *src_iov, uint32_t src_iovcnt, uint32_t *out_cnt, int *rc)
{
	struct spdk_memory_domain *system = host->spdk_memory_domain_get_system_domain();
	int direct = src_domain == system || is_ours(host, src_domain);
	uint32_t capacity = src_iovcnt, count = 0;
	struct iovec *result = malloc((size_t)(capacity ? capacity : 1) * sizeof(*result));
	if (result == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < src_iovcnt; i++) {
		struct spdk_memory_domain_translation_result translation = { .size = sizeof(translation) };
		if (src_iov[i].iov_len == 0) {
			continue; /* nothing to read, and translate refuses 0 bytes */
		}
		if (direct) {
			translation.iov_count = 1;
			translation.iov = src_iov[i];
			translation.iovs = &translation.iov;
		} else {
			*rc = host->spdk_memory_domain_translate_data(src_domain, src_domain_ctx, system, NULL,
					src_iov[i].iov_base, src_iov[i].iov_len, &translation);
			if (*rc != 0) {
				free(result);
				return NULL;
			}
		}
		const struct iovec *pieces = translation.iov_count == 1 ? &translation.iov : translation.iovs;
		if (translation.iov_count > 1 && pieces == NULL) {
			free(result);
			*rc = -EINVAL;
			return NULL;
		}
		if (count + translation.iov_count > capacity) {
			capacity = (count + translation.iov_count) * 2;
			struct iovec *grown = realloc(result, (size_t)capacity * sizeof(*result));
			if (grown == NULL) {
				free(result);
				*rc = -ENOMEM;
				return NULL;
			}
			result = grown;
		}
		memcpy(result + count, pieces, (size_t)translation.iov_count * sizeof(*result));
		count += translation.iov_count;
	}
	*out_cnt = count;
	*rc = 0;
	return result;
}

/* transfer: dst_domain is ours; the source may be any domain whose memory translates into
 * host memory. src_translation is not needed: the engine asks the source domain itself. */
static int vs_transfer(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
		       struct iovec *dst_iov, uint32_t dst_iovcnt,
		       struct spdk_memory_domain *src_domain, void *src_domain_ctx,
		       struct iovec *src_iov, uint32_t src_iovcnt,
		       struct spdk_memory_domain_translation_result *src_translation,
		       spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	(void)dst_domain_ctx;
	(void)src_translation;
	int rc = dmahost_iov_check_copy(cpl_cb, src_iov, src_iovcnt, dst_iov, dst_iovcnt, NULL);
	if (rc != 0) {
		return rc;
	}
	const struct dmahost_host_api *host = atomic_load(&g_host_functions);
	struct vs_device *device = device_of(dst_domain);
	if (device == NULL || host == NULL) {
		return -ENODEV;
	}
	if (src_domain == NULL) {
		return -EINVAL;
	}
	uint32_t count = 0;
	struct iovec *source = source_in_host_memory(host, src_domain, src_domain_ctx, src_iov, src_iovcnt, &count, &rc);
	if (source == NULL) {
		return rc;
	}
	/* What is read must pass the same checks, and hold the bytes src_iov describes. */
	rc = dmahost_iov_check_copy(cpl_cb, source, count, dst_iov, dst_iovcnt, NULL);
	if (rc == 0) {
		rc = vs_engine_submit_copy(&device->engine, dst_iov, dst_iovcnt, source, count, cpl_cb, cpl_cb_arg);
	}
	free(source); /* the engine keeps its own copy of the array */
	return rc;
}

static struct vs_device *find_device(struct vs_driver *driver, const char *device_id)
{
	if (device_id == NULL) {
		return NULL;
	}
	for (int i = 0; i < VS_DEVICE_COUNT; i++) {
		if (strcmp(driver->devices[i].id, device_id) == 0) {
			return &driver->devices[i];
		}
	}
	return NULL;
}

static int vs_probe(void *driver_ctx, const struct dmahost_device_info **devices, uint32_t *count,
		    char *err, size_t err_len)
{
	struct vs_driver *driver = driver_ctx;
	if (driver == NULL || devices == NULL || count == NULL) {
		set_error(err, err_len, "probe: NULL argument");
		return -EINVAL;
	}
	uint32_t reported = VS_DEVICE_COUNT;
	const char *value = getenv(VS_DEVICES_VARIABLE);
	if (value != NULL && value[0] >= '0' && value[0] <= '0' + VS_DEVICE_COUNT && value[1] == '\0')
		reported = (uint32_t)(value[0] - '0');
	*devices = driver->infos;
	*count = reported;
	return 0;
}

static int vs_open(void *driver_ctx, const char *device_id, char *err, size_t err_len)
{
	struct vs_driver *driver = driver_ctx;
	struct vs_device *device = find_device(driver, device_id);
	if (device == NULL) {
		set_error(err, err_len, "no such device; the devices are vendor-c:0 and vendor-c:1");
		return -ENODEV;
	}
	if (device->domain != NULL) {
		return 0;
	}
	int rc = vs_engine_start(&device->engine);
	if (rc != 0) {
		set_error(err, err_len, "cannot start the engine's worker thread");
		return rc;
	}
	struct spdk_memory_domain_ctx ctx = {
		.size = sizeof(ctx),
		.user_ctx = &device,
		.user_ctx_size = sizeof(device),
	};
	const struct dmahost_host_api *host = driver->host;
	rc = host->domain_create(host->host_ctx, device->id, &device->domain,
				 (enum spdk_dma_device_type)VS_DEVICE_TYPE, &ctx, device->id);
	if (rc != 0) {
		vs_engine_stop(&device->engine);
		device->domain = NULL;
		set_error(err, err_len, "the host refused to create the device's memory domain");
		return rc;
	}
	host->spdk_memory_domain_set_pull(device->domain, vs_pull);
	host->spdk_memory_domain_set_push(device->domain, vs_push);
	host->spdk_memory_domain_set_data_transfer(device->domain, vs_transfer);
	host->spdk_memory_domain_set_memzero(device->domain, vs_memzero);
	host->spdk_memory_domain_set_translation(device->domain, vs_translate);
	return 0;
}

/* close: finish in-flight requests (their completions run), then destroy the domain. */
static void vs_close(void *driver_ctx, const char *device_id)
{
	struct vs_driver *driver = driver_ctx;
	struct vs_device *device = find_device(driver, device_id);
	if (device == NULL || device->domain == NULL) {
		return;
	}
	vs_engine_stop(&device->engine);
	driver->host->domain_destroy(driver->host->host_ctx, device->domain);
	device->domain = NULL;
}

static int vs_diagnose(void *driver_ctx, dmahost_diagnostic_fn emit, void *emit_arg)
{
	(void)driver_ctx;
	if (emit == NULL) {
		return -EINVAL;
	}
	emit(emit_arg, "engine", 1, "software copy engine on host memory: one worker thread per open device, "
	     "queue depth 64 (a full queue returns -EAGAIN)");
	emit(emit_arg, "hardware", 1, "none needed: vendor-c:0 and vendor-c:1 are simulated (sample plugin)");
	return 0;
}

static void vs_fini(void *driver_ctx)
{
	struct vs_driver *driver = driver_ctx;
	if (driver == NULL) {
		return;
	}
	for (int i = 0; i < VS_DEVICE_COUNT; i++) {
		vs_close(driver, driver->devices[i].id);
		vs_engine_destroy(&driver->devices[i].engine);
	}
	free(driver);
}

const struct dmahost_driver_ops *dmahost_driver_entry(const struct dmahost_host_api *host)
{
	if (host == NULL) {
		return NULL;
	}
	if (host->abi_major != DMAHOST_DRIVER_ABI_MAJOR || host->size < sizeof(struct dmahost_host_api)) {
		if (host->log != NULL) {
			host->log(host->host_ctx, DMAHOST_LOG_ERROR,
				  "vendor-c needs driver ABI 1 with a full host table; use a matching DMAHost");
		}
		return NULL;
	}
	struct vs_driver *driver = calloc(1, sizeof(*driver));
	if (driver == NULL) {
		host->log(host->host_ctx, DMAHOST_LOG_ERROR, "vendor-c: out of memory");
		return NULL;
	}
	driver->host = host;
	driver->types[0] = VS_DEVICE_TYPE;
	for (int i = 0; i < VS_DEVICE_COUNT; i++) {
		struct vs_device *device = &driver->devices[i];
		device->driver = driver;
		snprintf(device->id, sizeof(device->id), VS_DRIVER_NAME ":%d", i);
		snprintf(device->description, sizeof(device->description),
			 "sample copy engine %d (C, host memory, worker thread)", i);
		int rc = vs_engine_init(&device->engine);
		if (rc != 0) {
			for (int j = 0; j < i; j++) {
				vs_engine_destroy(&driver->devices[j].engine);
			}
			free(driver);
			host->log(host->host_ctx, DMAHOST_LOG_ERROR, "vendor-c: cannot initialise an engine lock");
			return NULL;
		}
		driver->infos[i] = (struct dmahost_device_info) {
			.size = sizeof(struct dmahost_device_info),
			.id = device->id,
			.type = VS_DEVICE_TYPE,
			.alignment = 1,
			.description = device->description,
			.capabilities = DMAHOST_CAP_COPY | DMAHOST_CAP_FILL | DMAHOST_CAP_SCATTER_GATHER |
					DMAHOST_CAP_TRANSLATE_IDENTITY | DMAHOST_CAP_TRANSFER,
		};
	}
	const struct dmahost_host_api *expected = NULL;
	atomic_compare_exchange_strong(&g_host_functions, &expected, host);

	driver->ops = (struct dmahost_driver_ops) {
		.size = sizeof(struct dmahost_driver_ops),
		.abi_major = DMAHOST_DRIVER_ABI_MAJOR,
		.abi_minor = DMAHOST_DRIVER_ABI_MINOR,
		.name = VS_DRIVER_NAME,
		.version = VS_DRIVER_VERSION,
		.device_types = driver->types,
		.device_type_count = 1,
		.driver_ctx = driver,
		.probe = vs_probe,
		.open = vs_open,
		.close = vs_close,
		.diagnose = vs_diagnose,
		.fini = vs_fini,
		.config_variables = vs_config_variables,
		.config_variable_count = sizeof(vs_config_variables) / sizeof(vs_config_variables[0]),
	};
	return &driver->ops;
}
