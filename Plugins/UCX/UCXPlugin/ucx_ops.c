/*
 * DMAHost UCX backend — operations: the submission queue, RMA posting, remote completion.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Any thread submits (ucx_op_submit): the lists are copied into an operation, queued under the
 * device's lock, and the worker is signalled. Only the device's progress thread calls UCP on
 * the worker: it takes the queue, posts one ucp_get_nbx / ucp_put_nbx per contiguous piece
 * (pieces are where a local and a remote entry overlap), and calls the completion exactly
 * once, when every piece is done.
 *
 * Remote completion of writes: a put's own completion means only that the local buffer may be
 * reused (UCX guarantees no more). After posting the puts of every queued operation, the
 * thread posts one ucp_ep_flush_nbx for them; UCX completes a flush only when every operation
 * issued before it on the endpoint is complete at the target. A push or memzero completes with
 * 0 only after its pieces and that flush completed.
 */
#include "ucx_internal.h"

#ifdef DMAHOST_UCX_HEADERS
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ucx_protocol.h"

/** One operation: its lists (copied) and what is outstanding. */
struct ucx_op {
	struct ucx_op *next;
	/* The device's list of posted operations (progress thread only). */
	struct ucx_op *posted_prev, *posted_next;
	bool posted;
	bool completed;
	struct ucx_device *device;
	enum ucx_op_kind kind;
	spdk_memory_domain_data_cpl_cb cpl_cb;
	void *cpl_cb_arg;
	void *bounce;
	struct ucx_rpc *rpc;
	int status;
	uint32_t pending;
	uint64_t bytes;
	uint32_t local_count, remote_count;
	struct iovec *local, *remote;
	struct iovec lists[];
};

/** A request to the server, shared by the caller (who waits) and the progress thread. */
struct ucx_rpc {
	struct ucx_rpc *next;
	uint64_t id;
	bool is_alloc;
	uint64_t value, extra;
	bool done;
	int status;
	uint64_t address;
	int references;
};

static void rpc_release_locked(struct ucx_rpc *rpc)
{
	if (--rpc->references == 0) {
		free(rpc);
	}
}

/* Reports the operation's outcome, once: on the progress thread, outside every lock. */
static void op_complete(struct ucx_op *op)
{
	struct ucx_device *device = op->device;
	if (op->completed) {
		return;
	}
	op->completed = true;
	if (op->kind != UCX_OP_RPC) {
		if (op->status == 0) {
			device->operations++;
			if (op->kind == UCX_OP_GET) {
				device->bytes_read += op->bytes;
			} else {
				device->bytes_written += op->bytes;
			}
		} else {
			device->failed_operations++;
		}
		op->cpl_cb(op->cpl_cb_arg, op->status);
	}
	if (atomic_fetch_sub_explicit(&device->in_flight, 1, memory_order_acq_rel) == 1) {
		/* The last one: wake close, which waits (under the lock) for none to be left. */
		pthread_mutex_lock(&device->lock);
		pthread_cond_broadcast(&device->cond);
		pthread_mutex_unlock(&device->lock);
	}
}

static void unlink_posted(struct ucx_op *op)
{
	if (!op->posted) {
		return;
	}
	struct ucx_device *device = op->device;
	if (op->posted_prev != NULL) {
		op->posted_prev->posted_next = op->posted_next;
	} else {
		device->posted = op->posted_next;
	}
	if (op->posted_next != NULL) {
		op->posted_next->posted_prev = op->posted_prev;
	}
	op->posted = false;
}

/* Ends the operation: reports it (unless that happened already) and frees it. */
static void op_finish(struct ucx_op *op)
{
	op_complete(op);
	unlink_posted(op);
	free(op->bounce);
	free(op);
}

static void op_release(struct ucx_op *op, int status)
{
	if (status != 0 && op->status == 0) {
		op->status = status;
	}
	if (--op->pending == 0) {
		op_finish(op);
	}
}

static size_t list_total(const struct iovec *iov, uint32_t count)
{
	size_t total = 0;
	for (uint32_t i = 0; i < count; i++) {
		total += iov[i].iov_len;
	}
	return total;
}

/* Appends \b op to the queue (device lock held) and wakes the progress thread if it sleeps. */
static void enqueue_locked(struct ucx_device *device, struct ucx_op *op)
{
	if (device->queue_tail != NULL) {
		device->queue_tail->next = op;
	} else {
		device->queue_head = op;
	}
	device->queue_tail = op;
	atomic_fetch_add_explicit(&device->in_flight, 1, memory_order_relaxed);
	atomic_store_explicit(&device->queued, true, memory_order_release);
	if (device->sleeping) {
		/* Under the lock: close destroys the worker only after taking it (thread-safe, no wait). */
		(void)device->api->worker_signal(device->worker);
	}
}

int ucx_op_submit(struct ucx_device *device, enum ucx_op_kind kind, const struct iovec *local, uint32_t local_count,
		  const struct iovec *remote, uint32_t remote_count, spdk_memory_domain_data_cpl_cb cpl_cb,
		  void *cpl_cb_arg, void *bounce, int status)
{
	size_t entries = (size_t)local_count + remote_count;
	struct ucx_op *op = malloc(sizeof(*op) + entries * sizeof(struct iovec));
	if (op == NULL) {
		return -ENOMEM;
	}
	*op = (struct ucx_op) {
		.device = device, .kind = kind, .cpl_cb = cpl_cb, .cpl_cb_arg = cpl_cb_arg, .bounce = bounce,
		.status = status, .local_count = local_count, .remote_count = remote_count,
	};
	op->local = op->lists;
	op->remote = op->lists + local_count;
	if (local_count > 0) {
		memcpy(op->local, local, local_count * sizeof(struct iovec));
	}
	memcpy(op->remote, remote, remote_count * sizeof(struct iovec));
	op->bytes = list_total(op->remote, remote_count);

	pthread_mutex_lock(&device->lock);
	if (device->state != UCX_DEVICE_CONNECTED) {
		pthread_mutex_unlock(&device->lock);
		free(op);
		return -ENOTCONN;
	}
	enqueue_locked(device, op);
	pthread_mutex_unlock(&device->lock);
	return 0;
}

static void piece_done(void *request, ucs_status_t status, void *user_data)
{
	struct ucx_op *op = user_data;
	op->device->last_progress_ms = ucx_now_ms();
	op->device->api->request_free(request);
	op_release(op, ucx_errno(status));
}

/* Posts one piece; returns false when the endpoint refused it (the op then holds the error). */
static bool post_piece(struct ucx_device *device, struct ucx_op *op, void *local, size_t length, uint64_t remote)
{
	const struct ucx_api *api = device->api;
	ucp_request_param_t param = {
		.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA,
		.cb.send = piece_done,
		.user_data = op,
	};
	if (op->kind == UCX_OP_ZERO) {
		param.op_attr_mask |= UCP_OP_ATTR_FIELD_MEMH;
		param.memh = device->zero_memh;
	}
	ucs_status_ptr_t request = op->kind == UCX_OP_GET
		? api->get_nbx(device->ep, local, length, remote, device->rkey, &param)
		: api->put_nbx(device->ep, local, length, remote, device->rkey, &param);
	if (request == NULL) {
		return true;
	}
	if (UCS_PTR_IS_ERR(request)) {
		if (op->status == 0) {
			op->status = ucx_errno(UCS_PTR_STATUS(request));
		}
		return false;
	}
	op->pending++;
	return true;
}

/* One piece per overlap of a local and a remote entry (memzero: of the zero buffer's size). */
static void post_pieces(struct ucx_device *device, struct ucx_op *op)
{
	uint32_t li = 0, ri = 0;
	size_t loff = 0, roff = 0;
	while (ri < op->remote_count) {
		if (op->remote[ri].iov_len == roff) {
			ri++;
			roff = 0;
			continue;
		}
		size_t length = op->remote[ri].iov_len - roff;
		if (length > UCX_PIECE_MAX_BYTES) {
			length = UCX_PIECE_MAX_BYTES; /* regular completions: the stall watchdog's evidence of progress */
		}
		void *local = device->zero;
		if (op->kind == UCX_OP_ZERO) {
			if (length > UCX_ZERO_BUFFER_BYTES) {
				length = UCX_ZERO_BUFFER_BYTES;
			}
		} else {
			if (li >= op->local_count) {
				break;
			}
			if (op->local[li].iov_len == loff) {
				li++;
				loff = 0;
				continue;
			}
			if (op->local[li].iov_len - loff < length) {
				length = op->local[li].iov_len - loff;
			}
			local = (char *)op->local[li].iov_base + loff;
			loff += length;
		}
		uint64_t remote = (uint64_t)(uintptr_t)op->remote[ri].iov_base + roff;
		roff += length;
		if (!post_piece(device, op, local, length, remote)) {
			return;
		}
	}
}

static void flush_done(void *request, ucs_status_t status, void *user_data)
{
	struct ucx_op **group = user_data;
	struct ucx_device *device = group[0]->device;
	device->last_progress_ms = ucx_now_ms();
	device->api->request_free(request);
	for (uint32_t i = 0; group[i] != NULL; i++) {
		op_release(group[i], ucx_errno(status));
	}
	free(group);
}

/* One flush for every write posted since the last one: their remote completion. */
static void flush_writes(struct ucx_device *device)
{
	if (device->flush_count == 0) {
		return;
	}
	struct ucx_op **group = device->flush_group;
	uint32_t count = device->flush_count;
	group[count] = NULL;
	device->flush_group = NULL;
	device->flush_count = device->flush_capacity = 0;
	ucp_request_param_t param = {
		.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA,
		.cb.send = flush_done,
		.user_data = group,
	};
	ucs_status_ptr_t request = device->api->ep_flush_nbx(device->ep, &param);
	if (request != NULL && !UCS_PTR_IS_ERR(request)) {
		return;
	}
	int status = request == NULL ? 0 : ucx_errno(UCS_PTR_STATUS(request));
	for (uint32_t i = 0; i < count; i++) {
		op_release(group[i], status);
	}
	free(group);
}

static void join_flush(struct ucx_device *device, struct ucx_op *op)
{
	if (device->flush_count + 1 >= device->flush_capacity) {
		uint32_t capacity = device->flush_capacity ? device->flush_capacity * 2 : 16;
		struct ucx_op **grown = realloc(device->flush_group, capacity * sizeof(*grown));
		if (grown == NULL) {
			op_release(op, -ENOMEM);
			return;
		}
		device->flush_group = grown;
		device->flush_capacity = capacity;
	}
	device->flush_group[device->flush_count++] = op;
}

/* Sends a small control message (the server learns the endpoint from it), waited for. */
static int send_control(struct ucx_device *device, unsigned id, const void *header, size_t length)
{
	return ucx_send_am(device->api, device->worker, device->ep, id, header, length, NULL, 0,
			   UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER);
}

static void post_rpc(struct ucx_device *device, struct ucx_op *op)
{
	struct ucx_rpc *rpc = op->rpc;
	struct ucx_msg_request message = { .id = rpc->id, .value = rpc->value, .extra = rpc->extra };
	int rc = device->ep_failed ? -ECONNRESET
				   : send_control(device, rpc->is_alloc ? UCX_AM_ALLOC : UCX_AM_FREE, &message, sizeof(message));
	pthread_mutex_lock(&device->lock);
	if (rc != 0) {
		rpc->done = true;
		rpc->status = rc;
		pthread_cond_broadcast(&device->cond);
	} else {
		rpc->next = device->pending_rpcs;
		device->pending_rpcs = rpc;
		rpc->references++;
	}
	rpc_release_locked(rpc);
	pthread_mutex_unlock(&device->lock);
	op->rpc = NULL;
	op_finish(op);
}

static void post(struct ucx_device *device, struct ucx_op *op)
{
	if (op->kind == UCX_OP_RPC) {
		post_rpc(device, op);
		return;
	}
	op->pending = 1; /* held until posting ends (writes: until their flush) */
	if (device->posted == NULL) {
		device->last_progress_ms = ucx_now_ms(); /* the stall clock starts with the first request */
	}
	op->posted = true;
	op->posted_prev = NULL;
	op->posted_next = device->posted;
	if (device->posted != NULL) {
		device->posted->posted_prev = op;
	}
	device->posted = op;
	if (op->status == 0 && device->ep_failed) {
		op->status = -ECONNRESET;
	}
	if (op->status == 0) {
		post_pieces(device, op);
	}
	if (op->status == 0 && op->kind != UCX_OP_GET) {
		join_flush(device, op);
		return;
	}
	op_release(op, 0);
}

/* Takes the queue and posts it; returns the number of operations taken. */
static uint32_t drain(struct ucx_device *device)
{
	struct ucx_op *op = NULL;
	if (atomic_load_explicit(&device->queued, memory_order_acquire)) {
		pthread_mutex_lock(&device->lock);
		op = device->queue_head;
		device->queue_head = device->queue_tail = NULL;
		atomic_store_explicit(&device->queued, false, memory_order_relaxed);
		pthread_mutex_unlock(&device->lock);
	}
	uint32_t count = 0;
	while (op != NULL) {
		struct ucx_op *next = op->next;
		post(device, op);
		op = next;
		count++;
	}
	flush_writes(device);
	return count;
}

int ucx_rpc_call(struct ucx_device *device, bool is_alloc, uint64_t value, uint64_t extra, uint64_t *address)
{
	if (device->thread_started && pthread_equal(pthread_self(), device->thread)) {
		return -EDEADLK; /* from a completion: the answer could only come through this very thread */
	}
	struct ucx_rpc *rpc = calloc(1, sizeof(*rpc));
	struct ucx_op *op = calloc(1, sizeof(*op));
	if (rpc == NULL || op == NULL) {
		free(rpc);
		free(op);
		return -ENOMEM;
	}
	rpc->is_alloc = is_alloc;
	rpc->value = value;
	rpc->extra = extra;
	rpc->references = 2; /* the caller and the queued operation */
	op->device = device;
	op->kind = UCX_OP_RPC;
	op->rpc = rpc;

	pthread_mutex_lock(&device->lock);
	if (device->state != UCX_DEVICE_CONNECTED) {
		pthread_mutex_unlock(&device->lock);
		free(rpc);
		free(op);
		return -ENOTCONN;
	}
	rpc->id = ++device->next_rpc_id;
	enqueue_locked(device, op);
	pthread_mutex_unlock(&device->lock);

	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += UCX_RPC_TIMEOUT_MS / 1000;
	pthread_mutex_lock(&device->lock);
	int rc = 0;
	while (!rpc->done && rc != ETIMEDOUT) {
		rc = pthread_cond_timedwait(&device->cond, &device->lock, &deadline);
	}
	int status = rpc->done ? rpc->status : -ETIMEDOUT;
	if (rpc->done && status == 0 && address != NULL) {
		*address = rpc->address;
	}
	if (!rpc->done) {
		/* Nobody answers any more: take it off the pending list (if it got there). */
		for (struct ucx_rpc **link = &device->pending_rpcs; *link != NULL; link = &(*link)->next) {
			if (*link == rpc) {
				*link = rpc->next;
				rpc_release_locked(rpc);
				break;
			}
		}
	}
	rpc_release_locked(rpc);
	pthread_mutex_unlock(&device->lock);
	return status;
}

/* Answers from the server (progress thread, inside ucp_worker_progress). */
static ucs_status_t on_reply(void *arg, const void *header, size_t header_length, void *data, size_t length,
			     const ucp_am_recv_param_t *param)
{
	(void)data;
	(void)length;
	(void)param;
	struct ucx_device *device = arg;
	struct ucx_msg_reply reply;
	if (header_length < sizeof(reply)) {
		return UCS_OK;
	}
	memcpy(&reply, header, sizeof(reply));
	pthread_mutex_lock(&device->lock);
	for (struct ucx_rpc **link = &device->pending_rpcs; *link != NULL; link = &(*link)->next) {
		struct ucx_rpc *rpc = *link;
		if (rpc->id == reply.id) {
			*link = rpc->next;
			rpc->done = true;
			rpc->status = (int)reply.status;
			rpc->address = reply.address;
			pthread_cond_broadcast(&device->cond);
			rpc_release_locked(rpc);
			break;
		}
	}
	pthread_mutex_unlock(&device->lock);
	return UCS_OK;
}

static ucs_status_t on_region(void *arg, const void *header, size_t header_length, void *data, size_t length,
			      const ucp_am_recv_param_t *param)
{
	struct ucx_device *device = arg;
	struct ucx_msg_region region;
	if (device->region_received) {
		return UCS_OK;
	}
	device->region_received = true;
	if (header_length < sizeof(region) || (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV)) {
		device->region_error = -EPROTO;
		return UCS_OK;
	}
	memcpy(&region, header, sizeof(region));
	if (region.magic != UCX_REGION_MAGIC || region.version != UCX_PROTOCOL_VERSION || region.rkey_length != length ||
	    length == 0) {
		device->region_error = -EPROTO;
		return UCS_OK;
	}
	device->region_rkey = malloc(length);
	if (device->region_rkey == NULL) {
		device->region_error = -ENOMEM;
		return UCS_OK;
	}
	memcpy(device->region_rkey, data, length);
	device->region_rkey_length = length;
	device->base = region.base;
	device->length = region.length;
	device->flags = region.flags;
	return UCS_OK;
}

int ucx_client_set_handlers(struct ucx_device *device)
{
	static const struct ucx_am_handler handlers[] = {
		{ UCX_AM_REGION, on_region },
		{ UCX_AM_ALLOC_REPLY, on_reply },
		{ UCX_AM_FREE_REPLY, on_reply },
	};
	return ucx_set_am_handlers(device->api, device->worker, handlers, sizeof(handlers) / sizeof(handlers[0]), device);
}

static void report_counters(struct ucx_device *device, bool force)
{
	uint64_t now = ucx_now_ms();
	uint64_t done = device->operations + device->failed_operations;
	if (device->ep_failed || (!force && (done == device->reported_operations || now - device->last_report_ms < 1000))) {
		return;
	}
	struct ucx_msg_counters counters = {
		.bytes_read = device->bytes_read,
		.bytes_written = device->bytes_written,
		.operations = device->operations,
		.failed_operations = device->failed_operations,
	};
	if (send_control(device, UCX_AM_COUNTERS, &counters, sizeof(counters)) == 0) {
		device->reported_operations = done;
		device->last_report_ms = now;
	}
}

/* After the endpoint failed: close it by force, which completes its outstanding requests with
 * errors, and answer every waiting RPC. */
static void handle_failure(struct ucx_device *device)
{
	const struct ucx_api *api = device->api;
	/* Whatever UCX reports (reset, endpoint timeout), the connection is gone: -ECONNRESET. */
	const int failure = -ECONNRESET;
	pthread_mutex_lock(&device->lock);
	if (device->state == UCX_DEVICE_CONNECTED) {
		device->state = UCX_DEVICE_FAILED;
		device->failure = failure;
	}
	while (device->pending_rpcs != NULL) {
		struct ucx_rpc *rpc = device->pending_rpcs;
		device->pending_rpcs = rpc->next;
		rpc->done = true;
		rpc->status = -ECONNRESET;
		rpc_release_locked(rpc);
	}
	pthread_cond_broadcast(&device->cond);
	pthread_mutex_unlock(&device->lock);
	if (device->ep == NULL) {
		return;
	}
	ucp_request_param_t param = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = UCP_EP_CLOSE_FLAG_FORCE };
	ucs_status_ptr_t request = api->ep_close_nbx(device->ep, &param);
	if (request != NULL && !UCS_PTR_IS_ERR(request)) {
		while (api->request_check_status(request) == UCS_INPROGRESS) {
			api->worker_progress(device->worker);
		}
		api->request_free(request);
	}
	device->ep = NULL;
	/* The forced close completed the endpoint's requests; whatever UCX did not call back for
	 * ends here, so that every operation ends within the failure bound. Late callbacks (none
	 * are expected) only release the operation's memory. */
	for (struct ucx_op *op = device->posted; op != NULL; op = op->posted_next) {
		if (op->status == 0) {
			op->status = failure;
		}
		op_complete(op);
	}
}

void ucx_ops_release_posted(struct ucx_device *device)
{
	while (device->posted != NULL) {
		struct ucx_op *op = device->posted;
		op_complete(op);
		unlink_posted(op);
		free(op->bounce);
		free(op);
	}
}

/* Orderly end on close: final counters, then a flushing close, waited for at most 2 s. */
static void close_endpoint(struct ucx_device *device)
{
	const struct ucx_api *api = device->api;
	if (device->ep == NULL) {
		return;
	}
	report_counters(device, true);
	if (device->rkey != NULL) {
		api->rkey_destroy(device->rkey);
		device->rkey = NULL;
	}
	ucp_request_param_t param = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = 0 };
	ucs_status_ptr_t request = api->ep_close_nbx(device->ep, &param);
	if (request != NULL && !UCS_PTR_IS_ERR(request)) {
		uint64_t deadline = ucx_now_ms() + 2000;
		while (api->request_check_status(request) == UCS_INPROGRESS && ucx_now_ms() < deadline) {
			api->worker_progress(device->worker);
		}
		/* Still flushing after the bound: destroying the worker ends the close. */
		api->request_free(request);
	}
	device->ep = NULL;
}

/* Fails what is queued but was never posted (after a failure or at close). */
static void fail_queued(struct ucx_device *device)
{
	pthread_mutex_lock(&device->lock);
	struct ucx_op *op = device->queue_head;
	device->queue_head = device->queue_tail = NULL;
	atomic_store_explicit(&device->queued, false, memory_order_relaxed);
	pthread_mutex_unlock(&device->lock);
	while (op != NULL) {
		struct ucx_op *next = op->next;
		if (op->kind == UCX_OP_RPC) {
			pthread_mutex_lock(&device->lock);
			op->rpc->done = true;
			op->rpc->status = -ECONNRESET;
			pthread_cond_broadcast(&device->cond);
			rpc_release_locked(op->rpc);
			pthread_mutex_unlock(&device->lock);
			op->rpc = NULL;
		} else if (op->status == 0) {
			op->status = -ECONNRESET;
		}
		op_finish(op);
		op = next;
	}
}

void *ucx_progress_main(void *arg)
{
	struct ucx_device *device = arg;
	const struct ucx_api *api = device->api;
	bool failure_handled = false;
	uint64_t spin_start = 0; /* when the thread last found nothing to do, in ns; 0: it did not */
	while (!atomic_load(&device->stop)) {
		uint32_t taken = drain(device);
		unsigned progressed = api->worker_progress(device->worker);
		if (!device->ep_failed && device->posted != NULL &&
		    ucx_now_ms() - device->last_progress_ms > device->stall_timeout_ms) {
			/* Requests outstanding and none completed for that long: a peer that vanished
			 * without closing its connections (a cut link, a host that stopped). */
			device->ep_failed = true;
			device->ep_status = UCS_ERR_ENDPOINT_TIMEOUT;
			atomic_store(&device->stalled, true);
		}
		if (device->ep_failed && !failure_handled) {
			handle_failure(device);
			failure_handled = true;
		}
		if (failure_handled) {
			fail_queued(device);
		} else {
			report_counters(device, false);
		}
		if (taken > 0 || progressed > 0) {
			spin_start = 0;
			continue;
		}
		/* Operations in flight and nothing to do: poll on for the spin time (a completion is
		 * usually microseconds away), then sleep until UCX has news like an idle thread, so
		 * that clients and a server sharing few CPUs do not take them from each other. */
		bool waiting = device->posted != NULL && !failure_handled;
		if (waiting) {
			uint64_t now = ucx_now_ns();
			if (spin_start == 0) {
				spin_start = now;
			}
			if (now - spin_start < device->spin_ns) {
				continue;
			}
		}
		pthread_mutex_lock(&device->lock);
		bool idle = device->queue_head == NULL && (waiting || atomic_load(&device->in_flight) == 0);
		device->sleeping = idle;
		pthread_mutex_unlock(&device->lock);
		if (!idle) {
			continue; /* operations in flight: keep polling */
		}
		if (api->worker_arm(device->worker) == UCS_OK) {
			/* A submission after this check signals the worker: the poll then returns. */
			pthread_mutex_lock(&device->lock);
			idle = device->queue_head == NULL;
			pthread_mutex_unlock(&device->lock);
			struct pollfd pfd = { .fd = device->worker_fd, .events = POLLIN };
			if (idle) {
				(void)poll(&pfd, 1, 100);
			}
		}
		pthread_mutex_lock(&device->lock);
		device->sleeping = false;
		pthread_mutex_unlock(&device->lock);
		spin_start = 0;
	}
	drain(device);
	while (!device->ep_failed && atomic_load(&device->in_flight) > 0) {
		api->worker_progress(device->worker);
	}
	if (device->ep_failed && !failure_handled) {
		handle_failure(device);
	}
	close_endpoint(device);
	fail_queued(device);
	return NULL;
}
#endif /* DMAHOST_UCX_HEADERS */
