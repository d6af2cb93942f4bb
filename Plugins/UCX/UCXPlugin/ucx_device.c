/*
 * DMAHost UCX backend — a client device's connection: open, the region, close.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * open runs on the host's thread: it creates the device's worker (serialized thread mode: the
 * open thread, then only the progress thread, call it), connects a UCP client endpoint to the
 * peer's socket address with UCP_ERR_HANDLING_MODE_PEER, and progresses the worker until the
 * server's region description arrived, the endpoint failed, or the connect timeout passed
 * (DMAHOST_UCX_CONNECT_TIMEOUT_MS, 5 s by default). Then it makes the request table, starts
 * the progress thread and creates the domain.
 */
#define _GNU_SOURCE
#include "ucx_internal.h"

#ifdef DMAHOST_UCX_HEADERS
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void on_endpoint_error(void *arg, ucp_ep_h ep, ucs_status_t status)
{
	(void)ep;
	struct ucx_device *device = arg;
	device->ep_failed = true;
	device->ep_status = status;
}

/* A whole number from \b variable in [minimum, maximum], else \b fallback. */
static uint64_t bounded_setting(const char *variable, uint64_t fallback, uint64_t minimum, uint64_t maximum)
{
	const char *value = getenv(variable);
	if (value == NULL || value[0] < '0' || value[0] > '9') {
		return fallback;
	}
	char *end = NULL;
	unsigned long long parsed = strtoull(value, &end, 10);
	return (end != NULL && *end == '\0' && parsed >= minimum && parsed <= maximum) ? parsed : fallback;
}

/* A duration in milliseconds from \b variable (1...600000), else \b fallback. */
static uint64_t milliseconds_setting(const char *variable, uint64_t fallback)
{
	return bounded_setting(variable, fallback, 1, 600000);
}

/* Releases what a failed or finished connection left (progress thread stopped). */
static void release_worker(struct ucx_device *device)
{
	const struct ucx_api *api = device->api;
	if (device->ep != NULL) {
		ucp_request_param_t param = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = UCP_EP_CLOSE_FLAG_FORCE };
		ucs_status_ptr_t request = api->ep_close_nbx(device->ep, &param);
		while (request != NULL && !UCS_PTR_IS_ERR(request) && api->request_check_status(request) == UCS_INPROGRESS) {
			api->worker_progress(device->worker);
		}
		if (request != NULL && !UCS_PTR_IS_ERR(request)) {
			api->request_free(request);
		}
		device->ep = NULL;
	}
	if (device->worker != NULL) {
		api->worker_destroy(device->worker);
		device->worker = NULL;
	}
	ucx_ops_release_posted(device);
}

/* Connects and receives the region: what open and diagnose share. */
static int establish(struct ucx_device *device, struct ucx_shared *shared_out, char *err, size_t err_len)
{
	struct ucx_shared shared;
	int rc = ucx_shared_get(&shared, err, err_len);
	if (rc != 0) {
		return rc;
	}
	const struct ucx_api *api = shared.api;
	device->api = api;
	device->ep_failed = false;
	device->region_received = false;
	device->region_error = 0;
	device->region_version = 0;
	device->bytes_read = device->bytes_written = device->operations = device->failed_operations = 0;
	device->reported_operations = 0;
	device->last_report_ms = ucx_now_ms();
	device->stall_timeout_ms = milliseconds_setting(UCX_STALL_TIMEOUT_VARIABLE, UCX_STALL_TIMEOUT_DEFAULT_MS);
	device->spin_ns = bounded_setting(UCX_SPIN_VARIABLE, UCX_SPIN_DEFAULT_US, 0, 1000000) * 1000;
	atomic_store(&device->stalled, false);
	atomic_store(&device->unknown_answers, 0);
	atomic_store(&device->stop, false);

	ucp_worker_params_t worker_params = {
		.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE,
		.thread_mode = UCS_THREAD_MODE_SERIALIZED,
	};
	ucs_status_t status = api->worker_create(shared.context, &worker_params, &device->worker);
	if (status != UCS_OK) {
		snprintf(err, err_len, "ucp_worker_create: %s", api->status_string(status));
		device->worker = NULL;
		return ucx_errno(status);
	}
	status = api->worker_get_efd(device->worker, &device->worker_fd);
	rc = status == UCS_OK ? ucx_client_set_handlers(device) : ucx_errno(status);
	if (rc != 0) {
		snprintf(err, err_len, "cannot set up the worker's wake-up and message handlers: %s", strerror(-rc));
		release_worker(device);
		return rc;
	}
	ucp_ep_params_t ep_params = {
		.field_mask = UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR | UCP_EP_PARAM_FIELD_ERR_HANDLER |
			      UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE,
		.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER,
		.sockaddr = { .addr = (const struct sockaddr *)&device->addr, .addrlen = device->addr_len },
		.err_mode = UCP_ERR_HANDLING_MODE_PEER,
		.err_handler = { .cb = on_endpoint_error, .arg = device },
	};
	status = api->ep_create(device->worker, &ep_params, &device->ep);
	if (status != UCS_OK) {
		snprintf(err, err_len, "cannot connect to %s: ucp_ep_create: %s", device->address_text, api->status_string(status));
		device->ep = NULL;
		release_worker(device);
		return ucx_errno(status);
	}
	uint64_t timeout = milliseconds_setting(UCX_CONNECT_TIMEOUT_VARIABLE, UCX_CONNECT_TIMEOUT_DEFAULT_MS);
	uint64_t deadline = ucx_now_ms() + timeout;
	while (!device->region_received && !device->ep_failed && ucx_now_ms() < deadline) {
		if (api->worker_progress(device->worker) == 0) {
			struct timespec pause = { .tv_nsec = 200000 };
			nanosleep(&pause, NULL);
		}
	}
	if (!device->region_received || device->region_error != 0) {
		if (device->ep_failed) {
			snprintf(err, err_len, "cannot connect to %s: %s (is `dmactl serve --listen %s` running there, and "
				 "the port open?)", device->address_text, api->status_string(device->ep_status), device->address_text);
			rc = device->ep_status == UCS_ERR_UNREACHABLE ? -EHOSTUNREACH
			     : device->ep_status == UCS_ERR_ENDPOINT_TIMEOUT ? -ETIMEDOUT : -ECONNREFUSED;
		} else if (device->region_version != 0 && device->region_version != UCX_PROTOCOL_VERSION) {
			snprintf(err, err_len, "%s speaks protocol version %u of dmactl serve, this plugin version %u: run the "
				 "same DMAHost release on both sides", device->address_text, device->region_version,
				 UCX_PROTOCOL_VERSION);
			rc = -EPROTO;
		} else if (device->region_error != 0) {
			snprintf(err, err_len, "%s answered with a region description this plugin cannot read (not a dmactl serve "
				 "of the same version?)", device->address_text);
			rc = device->region_error;
		} else {
			snprintf(err, err_len, "%s did not answer within %llu ms (%s; is the address right and the port open?)",
				 device->address_text, (unsigned long long)timeout, UCX_CONNECT_TIMEOUT_VARIABLE);
			rc = -ETIMEDOUT;
		}
		release_worker(device);
		return rc;
	}
	ucx_describe_transports(api, device->ep, device->transports, sizeof(device->transports));
	*shared_out = shared;
	return 0;
}

int ucx_device_connect_probe(struct ucx_device *device, char *err, size_t err_len)
{
	struct ucx_shared shared;
	int rc = establish(device, &shared, err, err_len);
	if (rc == 0) {
		release_worker(device);
	}
	return rc;
}

int ucx_device_connect(struct ucx_device *device, char *err, size_t err_len)
{
	struct ucx_shared shared;
	int rc = establish(device, &shared, err, err_len);
	if (rc != 0) {
		return rc;
	}
	rc = ucx_ops_prepare(device);
	if (rc != 0) {
		snprintf(err, err_len, "cannot allocate the request table: %s", strerror(-rc));
		release_worker(device);
		return rc;
	}
	pthread_mutex_lock(&device->lock);
	device->state = UCX_DEVICE_CONNECTED;
	device->failure = 0;
	atomic_store(&device->in_flight, 0);
	atomic_store(&device->queued, false);
	pthread_mutex_unlock(&device->lock);
	rc = pthread_create(&device->thread, NULL, ucx_progress_main, device);
	if (rc != 0) {
		snprintf(err, err_len, "cannot start the progress thread: %s", strerror(rc));
		device->state = UCX_DEVICE_CLOSED;
		release_worker(device);
		return -rc;
	}
	device->thread_started = true;
	pthread_setname_np(device->thread, "ucx-progress");
	rc = ucx_domain_create(device, err, err_len);
	if (rc != 0) {
		ucx_device_disconnect(device);
		return rc;
	}
	return 0;
}

void ucx_device_disconnect(struct ucx_device *device)
{
	pthread_mutex_lock(&device->lock);
	if (device->state == UCX_DEVICE_CONNECTED || device->state == UCX_DEVICE_FAILED) {
		device->state = UCX_DEVICE_CLOSING;
	}
	/* In-flight operations end (data moved, or failed with the peer) before the domain goes. */
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 30;
	int rc = 0;
	while (atomic_load(&device->in_flight) > 0 && rc != ETIMEDOUT) {
		rc = pthread_cond_timedwait(&device->cond, &device->lock, &deadline);
	}
	pthread_mutex_unlock(&device->lock);
	if (device->thread_started) {
		atomic_store(&device->stop, true);
		(void)device->api->worker_signal(device->worker);
		pthread_join(device->thread, NULL);
		device->thread_started = false;
	}
	const struct dmahost_host_api *host = device->driver->host;
	if (device->domain != NULL) {
		host->domain_destroy(host->host_ctx, device->domain);
		device->domain = NULL;
	}
	release_worker(device);
	pthread_mutex_lock(&device->lock);
	device->state = UCX_DEVICE_CLOSED;
	pthread_mutex_unlock(&device->lock);
}
#endif /* DMAHOST_UCX_HEADERS */
