/*
 * DMAHost UCX backend — operations: the submission queue, data requests, their answers.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Any thread submits (ucx_op_submit): the lists are copied into an operation, queued under the
 * device's lock, and the worker is signalled. Only the device's progress thread calls UCP on
 * the worker: it takes the queue and sends one active-message request per piece (pieces are
 * where a local and a remote entry overlap, at most UCX_PIECE_MAX_BYTES): WRITE with the piece
 * as its data, READ, ZERO. Each outstanding request holds a slot of the device's request table,
 * found from the id its answer carries. The server answers every request itself once it has
 * moved the bytes (a READ's answer carries them), so an answer is the remote completion: an
 * operation completes exactly once, when every piece's send completed and its answer (and
 * data) arrived, with 0 only when every answer said 0 and every byte arrived.
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
	/* Where sending its pieces stopped (the request table was full): entry and offset. */
	uint32_t li, ri;
	size_t loff, roff;
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
			if (op->kind == UCX_OP_READ) {
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

/* Ends the operation: reports it (unless that happened already) and frees it. */
static void op_finish(struct ucx_op *op)
{
	op_complete(op);
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

/* The request table. */

int ucx_ops_prepare(struct ucx_device *device)
{
	device->pieces = calloc(UCX_REQUESTS_MAX, sizeof(*device->pieces));
	if (device->pieces == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < UCX_REQUESTS_MAX; i++) {
		device->pieces[i].device = device;
		device->pieces[i].next_free = i + 1;
	}
	device->free_piece = 0;
	device->outstanding = 0;
	return 0;
}

static struct ucx_piece *piece_take(struct ucx_device *device)
{
	if (device->pieces == NULL || device->free_piece >= UCX_REQUESTS_MAX) {
		return NULL;
	}
	uint32_t index = device->free_piece;
	struct ucx_piece *piece = &device->pieces[index];
	device->free_piece = piece->next_free;
	if (++piece->uses == 0) {
		piece->uses = 1; /* ids are never 0 */
	}
	piece->id = ((uint64_t)piece->uses << 32) | index;
	if (device->outstanding++ == 0) {
		device->last_progress_ms = ucx_now_ms(); /* the stall clock starts with the first request */
	}
	return piece;
}

static void piece_put_back(struct ucx_piece *piece)
{
	struct ucx_device *device = piece->device;
	uint32_t index = (uint32_t)(piece - device->pieces);
	piece->id = 0;
	piece->op = NULL;
	piece->next_free = device->free_piece;
	device->free_piece = index;
	device->outstanding--;
}

/* The outstanding piece with this id, or NULL: O(1), and a stale or forged id finds nothing. */
static struct ucx_piece *piece_find(struct ucx_device *device, uint64_t id)
{
	uint64_t index = id & 0xffffffffu;
	if (id == 0 || device->pieces == NULL || index >= UCX_REQUESTS_MAX || device->pieces[index].id != id) {
		return NULL;
	}
	return &device->pieces[index];
}

/* Ends the piece once its send completed and its answer (with its data) arrived. */
static void piece_check(struct ucx_piece *piece)
{
	if (piece->sending || piece->receiving || !piece->answered) {
		return;
	}
	struct ucx_op *op = piece->op;
	int status = piece->status;
	piece_put_back(piece);
	if (op != NULL) {
		op_release(op, status);
	}
}

static void piece_fail(struct ucx_piece *piece, int status)
{
	if (piece->status == 0) {
		piece->status = status;
	}
	piece->answered = true; /* no answer is waited for any more */
	piece_check(piece);
}

static void request_sent(void *request, ucs_status_t status, void *user_data)
{
	struct ucx_piece *piece = user_data;
	piece->device->api->request_free(request);
	piece->sending = false;
	if (status != UCS_OK) {
		piece_fail(piece, ucx_errno(status));
	} else {
		piece_check(piece);
	}
}

/* Sends one piece's request; returns false when the endpoint refused it (the op then holds the error). */
static bool post_piece(struct ucx_device *device, struct ucx_op *op, struct ucx_piece *piece, void *local, size_t length,
		       uint64_t remote)
{
	static const unsigned request_ids[] = { [UCX_OP_READ] = UCX_AM_READ, [UCX_OP_WRITE] = UCX_AM_WRITE,
						[UCX_OP_ZERO] = UCX_AM_ZERO };
	static const unsigned answer_ids[] = { [UCX_OP_READ] = UCX_AM_READ_REPLY, [UCX_OP_WRITE] = UCX_AM_WRITE_REPLY,
					       [UCX_OP_ZERO] = UCX_AM_ZERO_REPLY };
	piece->op = op;
	piece->answer_id = answer_ids[op->kind];
	piece->header = (struct ucx_msg_data_request) { .id = piece->id, .address = remote, .length = length };
	piece->local = local;
	piece->length = length;
	piece->status = 0;
	piece->answered = piece->receiving = false;
	piece->sending = true;
	op->pending++;
	ucp_request_param_t param = {
		.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FIELD_FLAGS,
		.cb.send = request_sent,
		.user_data = piece,
		.flags = UCP_AM_SEND_FLAG_REPLY,
	};
	bool with_data = op->kind == UCX_OP_WRITE;
	ucs_status_ptr_t request = device->api->am_send_nbx(device->ep, request_ids[op->kind], &piece->header,
							    sizeof(piece->header), with_data ? local : NULL,
							    with_data ? length : 0, &param);
	if (request != NULL && !UCS_PTR_IS_ERR(request)) {
		return true;
	}
	piece->sending = false;
	if (request == NULL) {
		piece_check(piece); /* sent already; the answer ends it */
		return true;
	}
	piece_fail(piece, ucx_errno(UCS_PTR_STATUS(request)));
	return false;
}

/*
 * Sends the op's pieces from where it stopped: one per overlap of a local and a remote entry
 * (memzero: of the remote entries), at most UCX_PIECE_MAX_BYTES each. Returns false when the
 * request table is full (the op goes on later), true when every piece was sent or sending failed.
 */
static bool post_pieces(struct ucx_device *device, struct ucx_op *op)
{
	while (op->status == 0 && op->ri < op->remote_count) {
		if (op->remote[op->ri].iov_len == op->roff) {
			op->ri++;
			op->roff = 0;
			continue;
		}
		size_t length = op->remote[op->ri].iov_len - op->roff;
		if (length > UCX_PIECE_MAX_BYTES) {
			length = UCX_PIECE_MAX_BYTES;
		}
		void *local = NULL;
		if (op->kind != UCX_OP_ZERO) {
			if (op->li >= op->local_count) {
				break;
			}
			if (op->local[op->li].iov_len == op->loff) {
				op->li++;
				op->loff = 0;
				continue;
			}
			if (op->local[op->li].iov_len - op->loff < length) {
				length = op->local[op->li].iov_len - op->loff;
			}
			local = (char *)op->local[op->li].iov_base + op->loff;
		}
		struct ucx_piece *piece = piece_take(device);
		if (piece == NULL) {
			return false;
		}
		uint64_t remote = (uint64_t)(uintptr_t)op->remote[op->ri].iov_base + op->roff;
		op->roff += length;
		if (op->kind != UCX_OP_ZERO) {
			op->loff += length;
		}
		if (!post_piece(device, op, piece, local, length, remote)) {
			return true;
		}
	}
	return true;
}

/* Sends the pieces of the waiting operations, in order, while the request table has room. */
static uint32_t post_waiting(struct ucx_device *device)
{
	uint32_t finished = 0;
	while (device->waiting_head != NULL) {
		struct ucx_op *op = device->waiting_head;
		if (op->status == 0 && device->ep_failed) {
			op->status = -ECONNRESET;
		}
		if (!post_pieces(device, op)) {
			break;
		}
		device->waiting_head = op->next;
		if (device->waiting_head == NULL) {
			device->waiting_tail = NULL;
		}
		op_release(op, 0); /* the hold of sending */
		finished++;
	}
	return finished;
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

/* Takes an operation from the queue: it waits for its pieces to be sent. */
static void post(struct ucx_device *device, struct ucx_op *op)
{
	if (op->kind == UCX_OP_RPC) {
		post_rpc(device, op);
		return;
	}
	op->pending = 1; /* held until every piece was sent */
	op->next = NULL;
	if (device->waiting_tail != NULL) {
		device->waiting_tail->next = op;
	} else {
		device->waiting_head = op;
	}
	device->waiting_tail = op;
}

/* Takes the queue and sends what waits; returns the number of operations taken or fully sent. */
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
	return count + post_waiting(device);
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
	(void)data;
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
	if (region.magic != UCX_REGION_MAGIC) {
		device->region_error = -EPROTO;
		return UCS_OK;
	}
	device->region_version = region.version;
	if (region.version != UCX_PROTOCOL_VERSION || length != 0) {
		device->region_error = -EPROTO;
		return UCS_OK;
	}
	device->base = region.base;
	device->length = region.length;
	device->flags = region.flags;
	return UCS_OK;
}

static void answer_received(void *request, ucs_status_t status, size_t length, void *user_data)
{
	struct ucx_piece *piece = user_data;
	piece->device->api->request_free(request);
	piece->receiving = false;
	int rc = status != UCS_OK ? ucx_errno(status) : length != piece->length ? -EIO : 0;
	if (rc != 0 && piece->status == 0) {
		piece->status = rc;
	}
	piece_check(piece);
}

/* A READ_REPLY's bytes into the piece's local memory: copied, or received by rendezvous. */
static int take_read_data(struct ucx_device *device, struct ucx_piece *piece, void *data, size_t length,
			  const ucp_am_recv_param_t *param)
{
	if (length != piece->length) {
		return -EIO; /* returning UCS_OK drops rendezvous data */
	}
	if (!(param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV)) {
		memcpy(piece->local, data, length);
		return 0;
	}
	ucp_request_param_t receive = {
		.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA,
		.cb.recv_am = answer_received,
		.user_data = piece,
	};
	ucs_status_ptr_t request = device->api->am_recv_data_nbx(device->worker, data, piece->local, length, &receive);
	if (request == NULL) {
		return 0;
	}
	if (UCS_PTR_IS_ERR(request)) {
		return ucx_errno(UCS_PTR_STATUS(request));
	}
	piece->receiving = true;
	return 0;
}

/* WRITE_REPLY, READ_REPLY, ZERO_REPLY (progress thread, inside ucp_worker_progress). */
static ucs_status_t on_data_reply(struct ucx_device *device, unsigned answer_id, const void *header,
				  size_t header_length, void *data, size_t length, const ucp_am_recv_param_t *param)
{
	struct ucx_msg_data_reply reply;
	struct ucx_piece *piece = NULL;
	if (header_length == sizeof(reply)) {
		memcpy(&reply, header, sizeof(reply));
		piece = piece_find(device, reply.id);
	}
	if (piece == NULL || piece->answered || piece->answer_id != answer_id) {
		atomic_fetch_add_explicit(&device->unknown_answers, 1, memory_order_relaxed);
		return UCS_OK;
	}
	device->last_progress_ms = ucx_now_ms();
	piece->answered = true;
	/* Only a negated errno is a status; anything else from a server is an error of its own. */
	int status = reply.status == 0 ? 0 : reply.status < 0 && reply.status >= -4095 ? (int)reply.status : -EIO;
	if (status == 0 && answer_id == UCX_AM_READ_REPLY) {
		status = take_read_data(device, piece, data, length, param);
	}
	if (status != 0 && piece->status == 0) {
		piece->status = status;
	}
	piece_check(piece);
	return UCS_OK;
}

static ucs_status_t on_write_reply(void *arg, const void *header, size_t header_length, void *data, size_t length,
				   const ucp_am_recv_param_t *param)
{
	return on_data_reply(arg, UCX_AM_WRITE_REPLY, header, header_length, data, length, param);
}

static ucs_status_t on_read_reply(void *arg, const void *header, size_t header_length, void *data, size_t length,
				  const ucp_am_recv_param_t *param)
{
	return on_data_reply(arg, UCX_AM_READ_REPLY, header, header_length, data, length, param);
}

static ucs_status_t on_zero_reply(void *arg, const void *header, size_t header_length, void *data, size_t length,
				  const ucp_am_recv_param_t *param)
{
	return on_data_reply(arg, UCX_AM_ZERO_REPLY, header, header_length, data, length, param);
}

int ucx_client_set_handlers(struct ucx_device *device)
{
	static const struct ucx_am_handler handlers[] = {
		{ UCX_AM_REGION, on_region },
		{ UCX_AM_ALLOC_REPLY, on_reply },
		{ UCX_AM_FREE_REPLY, on_reply },
		{ UCX_AM_WRITE_REPLY, on_write_reply },
		{ UCX_AM_READ_REPLY, on_read_reply },
		{ UCX_AM_ZERO_REPLY, on_zero_reply },
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

/*
 * Ends every operation that holds a request or waits to send, with \b failure: no answer will
 * come. A request whose send or receive UCX has not called back for keeps its slot until it
 * does (or the worker is destroyed); only the operation is gone from it.
 */
static void fail_outstanding(struct ucx_device *device, int failure)
{
	for (uint32_t i = 0; device->pieces != NULL && i < UCX_REQUESTS_MAX; i++) {
		struct ucx_piece *piece = &device->pieces[i];
		if (piece->id == 0) {
			continue;
		}
		struct ucx_op *op = piece->op;
		piece->op = NULL;
		if (!piece->sending && !piece->receiving) {
			piece_put_back(piece);
		}
		if (op != NULL) {
			op_release(op, failure);
		}
	}
	while (device->waiting_head != NULL) {
		struct ucx_op *op = device->waiting_head;
		device->waiting_head = op->next;
		op_release(op, failure); /* the hold of sending */
	}
	device->waiting_tail = NULL;
}

/* After the endpoint failed: close it by force, which completes its outstanding sends with
 * errors, end every operation that waits for an answer, and answer every waiting RPC. */
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
	if (device->ep != NULL) {
		ucp_request_param_t param = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = UCP_EP_CLOSE_FLAG_FORCE };
		ucs_status_ptr_t request = api->ep_close_nbx(device->ep, &param);
		if (request != NULL && !UCS_PTR_IS_ERR(request)) {
			while (api->request_check_status(request) == UCS_INPROGRESS) {
				api->worker_progress(device->worker);
			}
			api->request_free(request);
		}
		device->ep = NULL;
	}
	fail_outstanding(device, failure);
}

void ucx_ops_release_posted(struct ucx_device *device)
{
	fail_outstanding(device, -ECONNRESET);
	free(device->pieces);
	device->pieces = NULL;
	device->outstanding = 0;
}

/* Orderly end on close: final counters, then a flushing close, waited for at most 2 s. */
static void close_endpoint(struct ucx_device *device)
{
	const struct ucx_api *api = device->api;
	if (device->ep == NULL) {
		return;
	}
	report_counters(device, true);
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
		if (!device->ep_failed && device->outstanding > 0 &&
		    ucx_now_ms() - device->last_progress_ms > device->stall_timeout_ms) {
			/* Requests outstanding and no answer for that long: a peer that vanished
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
		bool waiting = (device->outstanding > 0 || device->waiting_head != NULL) && !failure_handled;
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
		(void)post_waiting(device);
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
