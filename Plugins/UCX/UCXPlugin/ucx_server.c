/*
 * DMAHost UCX backend — the server: listener, region, clients, allocation requests.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * One progress thread owns the worker, the listener and every client endpoint. Message
 * handlers answer at once without waiting (ucx_server_send; the data requests are in
 * ucx_server_data.c); connection requests and failed endpoints are only recorded by their
 * callbacks, and the loop acts on them after ucp_worker_progress returns. The lock guards what
 * dmahost_ucx_server_describe reads from other threads: the clients, their counters and the
 * allocator.
 */
#define _GNU_SOURCE
#include "ucx_server_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef DMAHOST_UCX_HEADERS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>

#define DMAHOST_UCX_EXPORT __attribute__((visibility("default")))

/** A connection request the loop still has to act on. */
struct ucx_server_task {
	struct ucx_server_task *next;
	ucp_conn_request_h request;
};

static void add_task(struct dmahost_ucx_server *server, struct ucx_server_task *task)
{
	task->next = NULL;
	if (server->tasks_tail != NULL) {
		server->tasks_tail->next = task;
	} else {
		server->tasks = task;
	}
	server->tasks_tail = task;
}

static void format_address(const struct sockaddr_storage *address, char *out, size_t out_len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (address->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)address;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, out_len, "%s:%u", host, port);
	} else if (address->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, out_len, "[%s]:%u", host, port);
	} else {
		snprintf(out, out_len, "unknown");
	}
}

static void on_connection(ucp_conn_request_h request, void *arg)
{
	struct dmahost_ucx_server *server = arg;
	struct ucx_server_task *task = calloc(1, sizeof(*task));
	if (task == NULL) {
		(void)server->api->listener_reject(server->listener, request);
		return;
	}
	task->request = request;
	add_task(server, task);
}

static void on_client_error(void *arg, ucp_ep_h ep, ucs_status_t status)
{
	(void)ep;
	(void)status;
	struct ucx_server_client *client = arg;
	client->failed = true;
}

/* ALLOC and FREE: answered from the allocator at once. */
static ucs_status_t on_request(struct dmahost_ucx_server *server, bool is_alloc, const void *header,
			       size_t header_length, const ucp_am_recv_param_t *param)
{
	struct ucx_msg_request request;
	struct ucx_server_client *client = ucx_server_client_of(server, param);
	if (header_length < sizeof(request) || client == NULL) {
		return UCS_OK;
	}
	memcpy(&request, header, sizeof(request));
	struct ucx_msg_reply reply = { .id = request.id };
	pthread_mutex_lock(&server->lock);
	if (is_alloc) {
		reply.status = ucx_allocator_alloc(&server->allocator, client, request.value, request.extra, &reply.address);
	} else {
		reply.status = ucx_allocator_free(&server->allocator, client, request.value);
	}
	pthread_mutex_unlock(&server->lock);
	ucx_server_send(server, client, is_alloc ? UCX_AM_ALLOC_REPLY : UCX_AM_FREE_REPLY, &reply, sizeof(reply), NULL, 0);
	return UCS_OK;
}

static ucs_status_t on_alloc(void *arg, const void *header, size_t header_length, void *data, size_t length,
			     const ucp_am_recv_param_t *param)
{
	(void)data;
	(void)length;
	return on_request(arg, true, header, header_length, param);
}

static ucs_status_t on_free(void *arg, const void *header, size_t header_length, void *data, size_t length,
			    const ucp_am_recv_param_t *param)
{
	(void)data;
	(void)length;
	return on_request(arg, false, header, header_length, param);
}

static ucs_status_t on_counters(void *arg, const void *header, size_t header_length, void *data, size_t length,
				const ucp_am_recv_param_t *param)
{
	(void)data;
	(void)length;
	struct dmahost_ucx_server *server = arg;
	struct ucx_server_client *client = ucx_server_client_of(server, param);
	if (client != NULL && header_length >= sizeof(struct ucx_msg_counters)) {
		pthread_mutex_lock(&server->lock);
		memcpy(&client->reported, header, sizeof(client->reported));
		pthread_mutex_unlock(&server->lock);
	}
	return UCS_OK;
}

static void accept_client(struct dmahost_ucx_server *server, ucp_conn_request_h request)
{
	const struct ucx_api *api = server->api;
	struct ucx_server_client *client = calloc(1, sizeof(*client));
	if (client == NULL) {
		(void)api->listener_reject(server->listener, request);
		return;
	}
	client->server = server;
	ucp_conn_request_attr_t attr = { .field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR };
	if (api->conn_request_query(request, &attr) == UCS_OK) {
		format_address(&attr.client_address, client->peer, sizeof(client->peer));
	} else {
		snprintf(client->peer, sizeof(client->peer), "unknown");
	}
	ucp_ep_params_t params = {
		.field_mask = UCP_EP_PARAM_FIELD_CONN_REQUEST | UCP_EP_PARAM_FIELD_ERR_HANDLER |
			      UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE,
		.conn_request = request,
		.err_mode = UCP_ERR_HANDLING_MODE_PEER,
		.err_handler = { .cb = on_client_error, .arg = client },
	};
	if (api->ep_create(server->worker, &params, &client->ep) != UCS_OK) {
		free(client);
		return;
	}
	client->connected = true;
	client->connected_at = time(NULL);
	client->connected_ms = ucx_now_ms();
	pthread_mutex_lock(&server->lock);
	struct ucx_server_client **link = &server->clients;
	while (*link != NULL) {
		link = &(*link)->next; /* in connection order */
	}
	*link = client;
	pthread_mutex_unlock(&server->lock);
	struct ucx_msg_region region = {
		.magic = UCX_REGION_MAGIC,
		.version = UCX_PROTOCOL_VERSION,
		.base = (uint64_t)(uintptr_t)server->memory,
		.length = server->length,
		.flags = server->flags,
	};
	ucx_server_send(server, client, UCX_AM_REGION, &region, sizeof(region), NULL, 0);
}

/* Closes a client's endpoint (forced after a failure) and frees what it held. */
static void drop_client(struct dmahost_ucx_server *server, struct ucx_server_client *client, bool force)
{
	const struct ucx_api *api = server->api;
	client->closing = true; /* answers completing during the close are not sent to it */
	if (server->last_client == client) {
		server->last_client = NULL;
	}
	ucp_request_param_t param = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = force ? UCP_EP_CLOSE_FLAG_FORCE : 0 };
	ucs_status_ptr_t request = api->ep_close_nbx(client->ep, &param);
	uint64_t deadline = ucx_now_ms() + 1000;
	while (request != NULL && !UCS_PTR_IS_ERR(request) && api->request_check_status(request) == UCS_INPROGRESS &&
	       ucx_now_ms() < deadline) {
		api->worker_progress(server->worker);
	}
	if (request != NULL && !UCS_PTR_IS_ERR(request)) {
		api->request_free(request);
	}
	pthread_mutex_lock(&server->lock);
	ucx_allocator_free_owner(&server->allocator, client);
	client->connected = false;
	client->ep = NULL;
	client->disconnected_ms = ucx_now_ms();
	pthread_mutex_unlock(&server->lock);
}

static bool run_tasks(struct dmahost_ucx_server *server)
{
	bool acted = false;
	while (server->tasks != NULL) {
		struct ucx_server_task *task = server->tasks;
		server->tasks = task->next;
		if (server->tasks == NULL) {
			server->tasks_tail = NULL;
		}
		accept_client(server, task->request);
		free(task);
		acted = true;
	}
	for (struct ucx_server_client *client = server->clients; client != NULL; client = client->next) {
		if (client->connected && client->failed) {
			drop_client(server, client, true);
			acted = true;
		}
	}
	return acted;
}

static void *server_main(void *arg)
{
	struct dmahost_ucx_server *server = arg;
	const struct ucx_api *api = server->api;
	while (!atomic_load(&server->stop)) {
		unsigned progressed = api->worker_progress(server->worker);
		bool acted = run_tasks(server);
		if (progressed > 0 || acted) {
			continue;
		}
		if (api->worker_arm(server->worker) == UCS_OK) {
			struct pollfd pfd = { .fd = server->worker_fd, .events = POLLIN };
			(void)poll(&pfd, 1, 100);
		}
	}
	run_tasks(server);
	for (struct ucx_server_client *client = server->clients; client != NULL; client = client->next) {
		if (client->connected) {
			drop_client(server, client, client->failed);
		}
	}
	return NULL;
}

static int set_handlers(struct dmahost_ucx_server *server)
{
	static const struct ucx_am_handler handlers[] = {
		{ UCX_AM_ALLOC, on_alloc },
		{ UCX_AM_FREE, on_free },
		{ UCX_AM_COUNTERS, on_counters },
	};
	int rc = ucx_set_am_handlers(server->api, server->worker, handlers, sizeof(handlers) / sizeof(handlers[0]), server);
	return rc == 0 ? ucx_server_set_data_handlers(server) : rc;
}

static int listen_on(struct dmahost_ucx_server *server, const char *listen, char *err, size_t err_len)
{
	const struct ucx_api *api = server->api;
	struct sockaddr_storage addr;
	socklen_t addr_len = 0;
	int rc = ucx_parse_address(listen, &addr, &addr_len, err, err_len);
	if (rc != 0) {
		return rc;
	}
	ucp_listener_params_t params = {
		.field_mask = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR | UCP_LISTENER_PARAM_FIELD_CONN_HANDLER,
		.sockaddr = { .addr = (const struct sockaddr *)&addr, .addrlen = addr_len },
		.conn_handler = { .cb = on_connection, .arg = server },
	};
	ucs_status_t status = api->listener_create(server->worker, &params, &server->listener);
	if (status != UCS_OK) {
		server->listener = NULL;
		snprintf(err, err_len, "cannot listen on %s: %s%s", listen, api->status_string(status),
			 status == UCS_ERR_BUSY ? " (the address is in use)" : "");
		return status == UCS_ERR_BUSY ? -EADDRINUSE : ucx_errno(status);
	}
	ucp_listener_attr_t attr = { .field_mask = UCP_LISTENER_ATTR_FIELD_SOCKADDR };
	if (api->listener_query(server->listener, &attr) == UCS_OK) {
		format_address(&attr.sockaddr, server->address, sizeof(server->address));
	} else {
		snprintf(server->address, sizeof(server->address), "%s", listen);
	}
	return 0;
}

static void release(struct dmahost_ucx_server *server)
{
	const struct ucx_api *api = server->api;
	if (server->listener != NULL) {
		api->listener_destroy(server->listener);
	}
	if (server->worker != NULL) {
		api->worker_destroy(server->worker);
	}
	if (server->owns_memory && server->memory != NULL) {
		munmap(server->memory, server->length);
	}
	while (server->clients != NULL) {
		struct ucx_server_client *client = server->clients;
		server->clients = client->next;
		free(client);
	}
	while (server->allocator.ranges != NULL) {
		struct ucx_range *range = server->allocator.ranges;
		server->allocator.ranges = range->next;
		free(range);
	}
	pthread_mutex_destroy(&server->lock);
	free(server);
}

DMAHOST_UCX_EXPORT int dmahost_ucx_server_start(const char *listen, void *memory, uint64_t length, uint32_t flags,
						struct dmahost_ucx_server **result, char *err, size_t err_len)
{
	if (listen == NULL || result == NULL || length == 0 || (flags & ~(uint32_t)DMAHOST_REMOTE_READ_ONLY) != 0) {
		snprintf(err, err_len, "a listen address, a length above 0 and flags 0 or read-only are needed");
		return -EINVAL;
	}
	struct ucx_shared shared;
	int rc = ucx_shared_get(&shared, err, err_len);
	if (rc != 0) {
		return rc;
	}
	struct dmahost_ucx_server *server = calloc(1, sizeof(*server));
	if (server == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	server->api = shared.api;
	server->context = shared.context;
	server->length = length;
	server->flags = flags;
	pthread_mutex_init(&server->lock, NULL);
	if (memory == NULL) {
		void *mapped = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mapped == MAP_FAILED) {
			rc = -errno;
			snprintf(err, err_len, "cannot map %llu bytes: %s", (unsigned long long)length, strerror(errno));
			release(server);
			return rc;
		}
		server->memory = mapped;
		server->owns_memory = true;
	} else {
		server->memory = memory;
	}
	server->allocator.base = (uint64_t)(uintptr_t)server->memory;
	server->allocator.length = length;
	ucp_worker_params_t worker_params = {
		.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE,
		.thread_mode = UCS_THREAD_MODE_SERIALIZED,
	};
	ucs_status_t status = server->api->worker_create(server->context, &worker_params, &server->worker);
	if (status != UCS_OK) {
		server->worker = NULL;
		snprintf(err, err_len, "ucp_worker_create: %s", server->api->status_string(status));
		release(server);
		return ucx_errno(status);
	}
	status = server->api->worker_get_efd(server->worker, &server->worker_fd);
	rc = status == UCS_OK ? set_handlers(server) : ucx_errno(status);
	if (rc != 0) {
		snprintf(err, err_len, "cannot set up the server's worker: %s", strerror(-rc));
		release(server);
		return rc;
	}
	rc = listen_on(server, listen, err, err_len);
	if (rc == 0) {
		rc = -pthread_create(&server->thread, NULL, server_main, server);
		if (rc != 0) {
			snprintf(err, err_len, "cannot start the server's progress thread: %s", strerror(-rc));
		}
	}
	if (rc != 0) {
		release(server);
		return rc;
	}
	server->thread_started = true;
	pthread_setname_np(server->thread, "ucx-server");
	*result = server;
	return 0;
}

DMAHOST_UCX_EXPORT int dmahost_ucx_server_describe(struct dmahost_ucx_server *server, char *buffer, size_t length)
{
	if (server == NULL) {
		return -EINVAL;
	}
	char scratch[1];
	if (buffer == NULL || length == 0) {
		buffer = scratch;
		length = sizeof(scratch);
	}
	size_t used = 0;
#define APPEND(...)                                                                                   \
	do {                                                                                          \
		int wrote = snprintf(buffer + (used < length ? used : length - 1),                    \
				     used < length ? length - used : 1, __VA_ARGS__);                 \
		if (wrote > 0) {                                                                      \
			used += (size_t)wrote;                                                        \
		}                                                                                     \
	} while (0)
	APPEND("{\"address\":\"%s\",\"base\":%llu,\"bytes\":%llu,\"access\":\"%s\",\"dropped_answers\":%llu,\"clients\":[",
	       server->address, (unsigned long long)(uintptr_t)server->memory, (unsigned long long)server->length,
	       (server->flags & DMAHOST_REMOTE_READ_ONLY) ? "read-only" : "read-write",
	       (unsigned long long)atomic_load_explicit(&server->dropped_answers, memory_order_relaxed));
	pthread_mutex_lock(&server->lock);
	uint64_t now = ucx_now_ms();
	bool first = true;
	for (struct ucx_server_client *client = server->clients; client != NULL; client = client->next) {
		uint64_t allocations = 0, allocated = 0;
		ucx_allocator_usage(&server->allocator, client, &allocations, &allocated);
		uint64_t until = client->connected ? now : client->disconnected_ms;
		APPEND("%s{\"peer\":\"%s\",\"state\":\"%s\",\"connected_at\":%lld,\"connected_seconds\":%.3f,"
		       "\"allocations\":%llu,\"allocated_bytes\":%llu,\"bytes_read\":%llu,\"bytes_written\":%llu,"
		       "\"operations\":%llu,\"failed_operations\":%llu,\"requests\":%llu,\"refused_requests\":%llu}",
		       first ? "" : ",", client->peer, client->connected ? "connected" : "disconnected",
		       (long long)client->connected_at, (double)(until - client->connected_ms) / 1000.0,
		       (unsigned long long)allocations, (unsigned long long)allocated,
		       (unsigned long long)client->bytes_read, (unsigned long long)client->bytes_written,
		       (unsigned long long)client->reported.operations,
		       (unsigned long long)client->reported.failed_operations, (unsigned long long)client->requests,
		       (unsigned long long)client->refused_requests);
		first = false;
	}
	pthread_mutex_unlock(&server->lock);
	APPEND("]}");
#undef APPEND
	return used > (size_t)INT32_MAX ? -EOVERFLOW : (int)used;
}

DMAHOST_UCX_EXPORT void dmahost_ucx_server_stop(struct dmahost_ucx_server *server)
{
	if (server == NULL) {
		return;
	}
	if (server->thread_started) {
		atomic_store(&server->stop, true);
		(void)server->api->worker_signal(server->worker);
		pthread_join(server->thread, NULL);
	}
	release(server);
}

#else /* built without the UCX headers */

#define DMAHOST_UCX_EXPORT __attribute__((visibility("default")))

DMAHOST_UCX_EXPORT int dmahost_ucx_server_start(const char *listen, void *memory, uint64_t length, uint32_t flags,
			     struct dmahost_ucx_server **server, char *err, size_t err_len)
{
	(void)listen;
	(void)memory;
	(void)length;
	(void)flags;
	(void)server;
	snprintf(err, err_len, "the ucx plugin was built without the UCX headers (libucx-dev)");
	return -ENOTSUP;
}

DMAHOST_UCX_EXPORT int dmahost_ucx_server_describe(struct dmahost_ucx_server *server, char *buffer, size_t length)
{
	(void)server;
	(void)buffer;
	(void)length;
	return -EINVAL;
}

DMAHOST_UCX_EXPORT void dmahost_ucx_server_stop(struct dmahost_ucx_server *server)
{
	(void)server;
}
#endif /* DMAHOST_UCX_HEADERS */
