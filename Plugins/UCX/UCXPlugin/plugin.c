/*
 * DMAHost UCX backend — the plugin: ops table, one client device per configured peer, diagnosis.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Devices: one per peer of DMAHOST_UCX_PEERS (comma-separated HOST:PORT or [IPv6]:PORT; dmactl's
 * --ucx-peer sets it), id and domain id "ucx:HOST:PORT", vendor type 1100.
 * Without libucp, or without a usable UCX context, the plugin loads and reports no devices;
 * diagnose says why.
 */
#include "ucx_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmahost/driver.h"
#include "dmahost_ucx.h"

#ifndef DMAHOST_UCX_HEADERS
/** The vendor device type of remote domains (see ucx_internal.h). */
#define UCX_DEVICE_TYPE ((int32_t)SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 100)
#endif

#define UCX_DRIVER_NAME "ucx"
#define UCX_DRIVER_VERSION "1.0.0"

static const struct dmahost_config_variable g_config_variables[] = {
	{ sizeof(struct dmahost_config_variable), "DMAHOST_UCX_PEERS", "",
	  "The servers to reach: comma-separated HOST:PORT or [IPv6]:PORT (e.g. 10.0.0.2:13337), one device "
	  "ucx:HOST:PORT each; `dmactl --ucx-peer HOST:PORT` sets it. Unset: no devices." },
	{ sizeof(struct dmahost_config_variable), "DMAHOST_UCX_CONNECT_TIMEOUT_MS", "5000",
	  "How long opening a device waits for its server's answer, in milliseconds (1...600000)." },
	{ sizeof(struct dmahost_config_variable), "DMAHOST_UCX_STALL_TIMEOUT_MS", "10000",
	  "How long operations may be outstanding with no UCX request completing before the peer counts as "
	  "failed (a cut link, a stopped host): they then fail with -ECONNRESET, later ones with -ENOTCONN. "
	  "Milliseconds, 1...600000. A peer process that dies is noticed at once (its kernel closes the connection)." },
	{ sizeof(struct dmahost_config_variable), "DMAHOST_UCX_SPIN_US", "50",
	  "How long a device's progress thread keeps polling UCX while operations are in flight and nothing happens, "
	  "in microseconds (0...1000000), before it sleeps until UCX has news: longer trades CPU for latency, 0 sleeps "
	  "at once. Busy polling past this leaves less CPU to other clients and servers on the same machine." },
	{ sizeof(struct dmahost_config_variable), "UCX_TLS", "all",
	  "UCX's transport selection (e.g. tcp, or rc,sm): read by libucp; `ucx_info -d` lists the transports." },
	{ sizeof(struct dmahost_config_variable), "UCX_NET_DEVICES", "all",
	  "UCX's network devices (e.g. eth0, mlx5_0:1): read by libucp." },
	{ sizeof(struct dmahost_config_variable), "UCX_KEEPALIVE_INTERVAL", "1s",
	  "How often UCX probes an idle peer; a peer that stops answering fails its operations (the plugin's "
	  "default; UCX's own is longer)." },
	{ sizeof(struct dmahost_config_variable), "UCX_MEM_EVENTS", "no",
	  "UCX's memory hooks, which patch mmap, munmap, mremap and malloc of the whole process: off by the "
	  "plugin's default (with UCX_MEM_MALLOC_HOOKS=no), since they hide mremap from the RDMA backend's memory "
	  "monitor and break sanitizers; yes lets UCX cache registrations of user memory." },
	{ sizeof(struct dmahost_config_variable), "UCX_IB_FORK_INIT", "no",
	  "Whether UCX's InfiniBand transports call ibv_fork_init(), which makes every later ibv_reg_mr of the process "
	  "madvise(MADV_DONTFORK) its range: off by the plugin's default, since that call fails with EINVAL on device "
	  "mappings (dma-buf heaps) the RDMA backend registers in the same process." },
	{ sizeof(struct dmahost_config_variable), "UCX_ERROR_SIGNALS", "",
	  "The signals UCX catches to print its own backtrace: none by the plugin's default, so that crashes are "
	  "reported by the host's own handling, as without UCX." },
	{ sizeof(struct dmahost_config_variable), "UCX_LOG_FILE", "stderr",
	  "Where UCX writes its log lines and warnings: standard error by the plugin's default (UCX's own is standard "
	  "output, where they would break a program's output such as dmactl's JSON)." },
	{ sizeof(struct dmahost_config_variable), "UCX_TCP_KEEPIDLE", "10s",
	  "TCP keepalive idle time of UCX's tcp transport (with UCX_TCP_KEEPINTVL, UCX_TCP_KEEPCNT): bounds how long "
	  "a peer that vanished without closing its connections (a cut link) takes to fail an idle endpoint." },
};

static _Atomic(const struct dmahost_host_api *) g_host_functions;

const struct dmahost_host_api *ucx_host_functions(void)
{
	return atomic_load(&g_host_functions);
}

static void set_error(char *err, size_t err_len, const char *message)
{
	if (err != NULL && err_len > 0) {
		snprintf(err, err_len, "%s", message);
	}
}

#ifdef DMAHOST_UCX_HEADERS

static struct ucx_device *find_device(struct ucx_driver *driver, const char *device_id)
{
	for (uint32_t i = 0; device_id != NULL && i < driver->device_count; i++) {
		if (strcmp(driver->devices[i]->id, device_id) == 0) {
			return driver->devices[i];
		}
	}
	return NULL;
}

/* Adds the device of one peer (kept across probes, so that open devices stay valid). */
static int add_peer(struct ucx_driver *driver, const char *text)
{
	char id[128];
	snprintf(id, sizeof(id), UCX_DRIVER_NAME ":%s", text);
	if (find_device(driver, id) != NULL) {
		return 0;
	}
	struct sockaddr_storage addr;
	socklen_t addr_len = 0;
	char reason[256];
	if (ucx_parse_address(text, &addr, &addr_len, reason, sizeof(reason)) != 0) {
		size_t used = strlen(driver->peers_note);
		snprintf(driver->peers_note + used, sizeof(driver->peers_note) - used, "%s%s", used ? "; " : "", reason);
		return 0;
	}
	if (driver->device_count == driver->device_capacity) {
		uint32_t capacity = driver->device_capacity ? driver->device_capacity * 2 : 4;
		struct ucx_device **devices = realloc(driver->devices, capacity * sizeof(*devices));
		if (devices == NULL) {
			return -ENOMEM;
		}
		driver->devices = devices;
		struct dmahost_device_info *infos = realloc(driver->infos, capacity * sizeof(*infos));
		if (infos == NULL) {
			return -ENOMEM;
		}
		driver->infos = infos;
		driver->device_capacity = capacity;
	}
	struct ucx_device *device = calloc(1, sizeof(*device));
	if (device == NULL) {
		return -ENOMEM;
	}
	device->driver = driver;
	snprintf(device->id, sizeof(device->id), "%s", id);
	snprintf(device->address_text, sizeof(device->address_text), "%s", text);
	snprintf(device->description, sizeof(device->description),
		 "remote memory of the server at %s over UCX (UCP active messages; UCX_TLS selects the transport)", text);
	device->addr = addr;
	device->addr_len = addr_len;
	pthread_mutex_init(&device->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&device->cond, &attr);
	pthread_condattr_destroy(&attr);
	driver->devices[driver->device_count++] = device;
	return 0;
}

/* Peers added with dmahost_ucx_add_peer, comma-separated like the variable. */
static pthread_mutex_t g_added_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_added_peers;

__attribute__((visibility("default"))) int dmahost_ucx_add_peer(const char *address, char *err, size_t err_len)
{
	struct sockaddr_storage addr;
	socklen_t addr_len = 0;
	char reason[256];
	if (address == NULL || strchr(address, ',') != NULL) {
		set_error(err, err_len, "one peer, HOST:PORT or [IPv6]:PORT, is needed");
		return -EINVAL;
	}
	if (ucx_parse_address(address, &addr, &addr_len, reason, sizeof(reason)) != 0) {
		set_error(err, err_len, reason);
		return -EINVAL;
	}
	pthread_mutex_lock(&g_added_lock);
	size_t used = g_added_peers != NULL ? strlen(g_added_peers) : 0;
	char *grown = realloc(g_added_peers, used + strlen(address) + 2);
	if (grown == NULL) {
		pthread_mutex_unlock(&g_added_lock);
		set_error(err, err_len, "out of memory");
		return -ENOMEM;
	}
	snprintf(grown + used, strlen(address) + 2, "%s%s", used > 0 ? "," : "", address);
	g_added_peers = grown;
	pthread_mutex_unlock(&g_added_lock);
	return 0;
}

static int parse_list(struct ucx_driver *driver, const char *value)
{
	if (value == NULL) {
		return 0;
	}
	char *copy = strdup(value);
	if (copy == NULL) {
		return -ENOMEM;
	}
	int rc = 0;
	char *saveptr = NULL;
	for (char *item = strtok_r(copy, ",", &saveptr); item != NULL && rc == 0; item = strtok_r(NULL, ",", &saveptr)) {
		while (*item == ' ') {
			item++;
		}
		size_t length = strlen(item);
		while (length > 0 && item[length - 1] == ' ') {
			item[--length] = '\0';
		}
		if (length > 0) {
			rc = add_peer(driver, item);
		}
	}
	free(copy);
	return rc;
}

static int parse_peers(struct ucx_driver *driver)
{
	driver->peers_note[0] = '\0';
	int rc = parse_list(driver, getenv(UCX_PEERS_VARIABLE));
	pthread_mutex_lock(&g_added_lock);
	if (rc == 0) {
		rc = parse_list(driver, g_added_peers);
	}
	pthread_mutex_unlock(&g_added_lock);
	return rc;
}

static int ucx_probe(void *driver_ctx, const struct dmahost_device_info **devices, uint32_t *count, char *err,
		     size_t err_len)
{
	struct ucx_driver *driver = driver_ctx;
	if (driver == NULL || devices == NULL || count == NULL) {
		set_error(err, err_len, "probe: NULL argument");
		return -EINVAL;
	}
	*devices = driver->infos;
	*count = 0;
	pthread_mutex_lock(&driver->lock);
	int rc = parse_peers(driver);
	uint32_t configured = driver->device_count;
	pthread_mutex_unlock(&driver->lock);
	if (rc == 0 && configured == 0) {
		/* No peers: libucp is not even loaded, so a process that does not use this backend
		 * keeps none of UCX's process-wide state (diagnose still reports on UCX). */
		return 0;
	}
	struct ucx_shared shared;
	driver->unavailable = ucx_shared_get(&shared, driver->unavailable_reason, sizeof(driver->unavailable_reason));
	if (driver->unavailable != 0) {
		return 0; /* loaded without devices; diagnose says why */
	}
	pthread_mutex_lock(&driver->lock);
	for (uint32_t i = 0; i < driver->device_count; i++) {
		struct ucx_device *device = driver->devices[i];
		driver->infos[i] = (struct dmahost_device_info) {
			.size = sizeof(struct dmahost_device_info),
			.id = device->id,
			.type = UCX_DEVICE_TYPE,
			.alignment = 1,
			.description = device->description,
			.capabilities = DMAHOST_CAP_COPY | DMAHOST_CAP_FILL | DMAHOST_CAP_SCATTER_GATHER | DMAHOST_CAP_TRANSFER,
		};
	}
	*devices = driver->infos;
	*count = driver->device_count;
	pthread_mutex_unlock(&driver->lock);
	if (rc != 0) {
		set_error(err, err_len, "out of memory while reading " UCX_PEERS_VARIABLE);
	}
	return rc;
}

static int ucx_open(void *driver_ctx, const char *device_id, char *err, size_t err_len)
{
	struct ucx_driver *driver = driver_ctx;
	struct ucx_device *device = find_device(driver, device_id);
	if (device == NULL) {
		set_error(err, err_len, "no such device: the devices are ucx:HOST:PORT of the peers in " UCX_PEERS_VARIABLE);
		return -ENODEV;
	}
	if (device->domain != NULL) {
		return 0;
	}
	return ucx_device_connect(device, err, err_len);
}

static void ucx_close(void *driver_ctx, const char *device_id)
{
	struct ucx_device *device = find_device(driver_ctx, device_id);
	if (device != NULL && device->domain != NULL) {
		ucx_device_disconnect(device);
	}
}

static void diagnose_device(struct ucx_device *device, dmahost_diagnostic_fn emit, void *emit_arg)
{
	char detail[640];
	pthread_mutex_lock(&device->lock);
	enum ucx_device_state state = device->state;
	int failure = device->failure;
	pthread_mutex_unlock(&device->lock);
	if (device->domain != NULL && state == UCX_DEVICE_CONNECTED) {
		uint64_t unknown = atomic_load_explicit(&device->unknown_answers, memory_order_relaxed);
		char unknown_note[96] = "";
		if (unknown > 0) {
			snprintf(unknown_note, sizeof(unknown_note), "; %llu answers matched no request (ignored)",
				 (unsigned long long)unknown);
		}
		snprintf(detail, sizeof(detail), "connected: region of %llu bytes at 0x%llx, %s; transports in use: %s%s",
			 (unsigned long long)device->length, (unsigned long long)device->base,
			 (device->flags & DMAHOST_REMOTE_READ_ONLY) ? "read-only" : "read-write",
			 device->transports[0] ? device->transports : "unknown", unknown_note);
		emit(emit_arg, device->id, 1, detail);
		return;
	}
	if (device->domain != NULL) {
		snprintf(detail, sizeof(detail), "the server failed (%s%s): operations fail with -ENOTCONN; close and open the "
			 "device to reconnect", strerror(failure < 0 ? -failure : ECONNRESET),
			 atomic_load(&device->stalled) ? ", no request completed within " UCX_STALL_TIMEOUT_VARIABLE : "");
		emit(emit_arg, device->id, 0, detail);
		return;
	}
	/* Not open: try it (bounded by the connect timeout), without creating a domain. */
	char reason[384] = "";
	int rc = ucx_device_connect_probe(device, reason, sizeof(reason));
	if (rc == 0) {
		snprintf(detail, sizeof(detail), "reachable: region of %llu bytes, %s; transports: %s",
			 (unsigned long long)device->length,
			 (device->flags & DMAHOST_REMOTE_READ_ONLY) ? "read-only" : "read-write",
			 device->transports[0] ? device->transports : "unknown");
		emit(emit_arg, device->id, 1, detail);
	} else {
		emit(emit_arg, device->id, 0, reason);
	}
}

static int ucx_diagnose(void *driver_ctx, dmahost_diagnostic_fn emit, void *emit_arg)
{
	struct ucx_driver *driver = driver_ctx;
	if (driver == NULL || emit == NULL) {
		return -EINVAL;
	}
	const struct ucx_api *api = NULL;
	char reason[384];
	if (ucx_api_load(&api, reason, sizeof(reason)) != 0) {
		emit(emit_arg, "libucp", 0, reason);
		return 0;
	}
	char detail[512];
	snprintf(detail, sizeof(detail), "UCX %s loaded (libucp.so.0)", api->get_version_string());
	emit(emit_arg, "libucp", 1, detail);
	struct ucx_shared shared;
	if (ucx_shared_get(&shared, reason, sizeof(reason)) != 0) {
		emit(emit_arg, "context", 0, reason);
		return 0;
	}
	const char *tls = getenv("UCX_TLS");
	const char *devices = getenv("UCX_NET_DEVICES");
	snprintf(detail, sizeof(detail), "active messages; UCX_TLS=%s, UCX_NET_DEVICES=%s",
		 tls ? tls : "(all)", devices ? devices : "(all)");
	emit(emit_arg, "context", 1, detail);
	pthread_mutex_lock(&driver->lock);
	uint32_t count = driver->device_count;
	if (driver->peers_note[0] != '\0') {
		emit(emit_arg, "peers", 0, driver->peers_note);
	} else if (count == 0) {
		emit(emit_arg, "peers", 0, "none configured: set " UCX_PEERS_VARIABLE "=HOST:PORT or pass dmactl --ucx-peer "
		     "HOST:PORT (a server: dmactl serve --listen IP:PORT --size SIZE)");
	}
	pthread_mutex_unlock(&driver->lock);
	for (uint32_t i = 0; i < count; i++) {
		diagnose_device(driver->devices[i], emit, emit_arg);
	}
	return 0;
}

static void ucx_fini(void *driver_ctx)
{
	struct ucx_driver *driver = driver_ctx;
	if (driver == NULL) {
		return;
	}
	for (uint32_t i = 0; i < driver->device_count; i++) {
		if (driver->devices[i]->domain != NULL) {
			ucx_device_disconnect(driver->devices[i]);
		}
	}
	for (uint32_t i = 0; i < driver->device_count; i++) {
		pthread_mutex_destroy(&driver->devices[i]->lock);
		pthread_cond_destroy(&driver->devices[i]->cond);
		free(driver->devices[i]);
	}
	free(driver->devices);
	free(driver->infos);
	pthread_mutex_destroy(&driver->lock);
	free(driver);
}

#else /* built without the UCX headers */

struct ucx_driver {
	struct dmahost_driver_ops ops;
	const struct dmahost_host_api *host;
	int32_t types[1];
};

static int ucx_probe(void *driver_ctx, const struct dmahost_device_info **devices, uint32_t *count, char *err,
		     size_t err_len)
{
	(void)driver_ctx;
	(void)err;
	(void)err_len;
	*devices = NULL;
	*count = 0;
	return 0;
}

static int ucx_open(void *driver_ctx, const char *device_id, char *err, size_t err_len)
{
	(void)driver_ctx;
	(void)device_id;
	set_error(err, err_len, "this plugin was built without the UCX headers (libucx-dev)");
	return -ENODEV;
}

static void ucx_close(void *driver_ctx, const char *device_id)
{
	(void)driver_ctx;
	(void)device_id;
}

static int ucx_diagnose(void *driver_ctx, dmahost_diagnostic_fn emit, void *emit_arg)
{
	(void)driver_ctx;
	emit(emit_arg, "libucp", 0, "built without the UCX headers: install libucx-dev (Scripts/install-deps.sh) and rebuild");
	return 0;
}

static void ucx_fini(void *driver_ctx)
{
	free(driver_ctx);
}

__attribute__((visibility("default"))) int dmahost_ucx_add_peer(const char *address, char *err, size_t err_len)
{
	(void)address;
	set_error(err, err_len, "this plugin was built without the UCX headers (libucx-dev)");
	return -ENOTSUP;
}

#endif /* DMAHOST_UCX_HEADERS */

__attribute__((visibility("default"))) const struct dmahost_driver_ops *
dmahost_driver_entry(const struct dmahost_host_api *host)
{
	if (host == NULL) {
		return NULL;
	}
	if (host->abi_major != DMAHOST_DRIVER_ABI_MAJOR || host->size < sizeof(struct dmahost_host_api)) {
		if (host->log != NULL) {
			host->log(host->host_ctx, DMAHOST_LOG_ERROR, "ucx needs driver ABI 1 with a full host table");
		}
		return NULL;
	}
	struct ucx_driver *driver = calloc(1, sizeof(*driver));
	if (driver == NULL) {
		host->log(host->host_ctx, DMAHOST_LOG_ERROR, "ucx: out of memory");
		return NULL;
	}
	driver->host = host;
	driver->types[0] = UCX_DEVICE_TYPE;
#ifdef DMAHOST_UCX_HEADERS
	pthread_mutex_init(&driver->lock, NULL);
#endif
	const struct dmahost_host_api *expected = NULL;
	atomic_compare_exchange_strong(&g_host_functions, &expected, host);
	driver->ops = (struct dmahost_driver_ops) {
		.size = sizeof(struct dmahost_driver_ops),
		.abi_major = DMAHOST_DRIVER_ABI_MAJOR,
		.abi_minor = DMAHOST_DRIVER_ABI_MINOR,
		.name = UCX_DRIVER_NAME,
		.version = UCX_DRIVER_VERSION,
		.device_types = driver->types,
		.device_type_count = 1,
		.driver_ctx = driver,
		.probe = ucx_probe,
		.open = ucx_open,
		.close = ucx_close,
		.diagnose = ucx_diagnose,
		.fini = ucx_fini,
		.config_variables = g_config_variables,
		.config_variable_count = sizeof(g_config_variables) / sizeof(g_config_variables[0]),
	};
	return &driver->ops;
}
