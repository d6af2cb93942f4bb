/*
 * DMAHost UCX backend — shared state of the plugin: the UCP context, client devices, operations.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef DMAHOST_UCX_INTERNAL_H
#define DMAHOST_UCX_INTERNAL_H

#include "ucx_api.h"

#ifdef DMAHOST_UCX_HEADERS
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "dmahost/driver.h"
#include "dmahost/remote.h"
#include "ucx_protocol.h"

/**
 * The device type of remote domains: a vendor type (the host reserves RDMA, DMA and ACCEL for
 * its built-in backends), SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 100.
 */
#define UCX_DEVICE_TYPE ((int32_t)SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START + 100)

/** Configuration variables (declared in the ops table so that `dmactl env` lists them). */
#define UCX_PEERS_VARIABLE "DMAHOST_UCX_PEERS"
#define UCX_CONNECT_TIMEOUT_VARIABLE "DMAHOST_UCX_CONNECT_TIMEOUT_MS"
/** How long open waits for a peer's region description, unless configured. */
#define UCX_CONNECT_TIMEOUT_DEFAULT_MS 5000
/** How long alloc/free wait for the server's answer. */
#define UCX_RPC_TIMEOUT_MS 5000
#define UCX_STALL_TIMEOUT_VARIABLE "DMAHOST_UCX_STALL_TIMEOUT_MS"
/** How long requests may stay outstanding with none completing before the peer counts as failed. */
#define UCX_STALL_TIMEOUT_DEFAULT_MS 10000
/** How long a progress thread with operations in flight polls for news before it sleeps. */
#define UCX_SPIN_VARIABLE "DMAHOST_UCX_SPIN_US"
/** The default of \ref UCX_SPIN_VARIABLE, in microseconds. */
#define UCX_SPIN_DEFAULT_US 50
/** Largest piece one data request moves (larger entries are split): the server's limit. */
#define UCX_PIECE_MAX_BYTES UCX_DATA_REQUEST_MAX_BYTES
/** Data requests one device may have outstanding (the size of its request table); more wait. */
#define UCX_REQUESTS_MAX 1024u

/** The process-wide UCP context, made on first use. */
struct ucx_shared {
	const struct ucx_api *api;
	ucp_context_h context;
};

/**
 * The UCP context (features AM and WAKEUP, not RMA; workers shared across threads), created once
 * per process with keepalive settings unless the environment sets them. Returns 0 or a
 * negated errno with the reason in \b err.
 */
int ucx_shared_get(struct ucx_shared *shared, char *err, size_t err_len);

/** Splits "HOST:PORT" or "[IPv6]:PORT" and resolves it. Returns 0 or -EINVAL with a reason. */
int ucx_parse_address(const char *text, struct sockaddr_storage *addr, socklen_t *len, char *err, size_t err_len);

/** Writes the transports an endpoint's lanes use ("tcp/eth0, ...") into \b out. */
void ucx_describe_transports(const struct ucx_api *api, ucp_ep_h ep, char *out, size_t out_len);

/** One active-message handler: its message id and callback. */
struct ucx_am_handler {
	unsigned id;
	ucp_am_recv_callback_t cb;
};

/** Registers \b count handlers on \b worker, each called with \b arg. Returns 0 or a negated errno. */
int ucx_set_am_handlers(const struct ucx_api *api, ucp_worker_h worker, const struct ucx_am_handler *handlers,
			size_t count, void *arg);

/**
 * Sends one active message and progresses \b worker until UCX no longer needs \b header and
 * \b data (the request is polled, then freed: no callback can free it under the poll).
 * Returns 0 or the negated errno of the send. Call it on the worker's thread only.
 */
int ucx_send_am(const struct ucx_api *api, ucp_worker_h worker, ucp_ep_h ep, unsigned id, const void *header,
		size_t header_length, const void *data, size_t data_length, uint32_t flags);

/** Nanoseconds of CLOCK_MONOTONIC. */
uint64_t ucx_now_ns(void);

/** Milliseconds of CLOCK_MONOTONIC_COARSE (a scheduler tick's resolution: for bounds of milliseconds and more). */
uint64_t ucx_now_ms(void);

/** States of a client device. */
enum ucx_device_state {
	UCX_DEVICE_CLOSED = 0,
	UCX_DEVICE_CONNECTED,
	UCX_DEVICE_FAILED,
	UCX_DEVICE_CLOSING
};

struct ucx_op;
struct ucx_rpc;
struct ucx_driver;

/**
 * One outstanding data request: a slot of the device's request table (progress thread only).
 * Its id holds the slot's index (low 32 bits) and how often the slot was used (high 32 bits),
 * so that an answer finds its slot at once and an id is never reused while outstanding.
 */
struct ucx_piece {
	struct ucx_device *device;
	/* The operation the piece belongs to; NULL once that ended without it (a failure). */
	struct ucx_op *op;
	/* 0 while the slot is free. */
	uint64_t id;
	uint32_t uses;
	uint32_t next_free;
	unsigned answer_id;
	/* The message's header: UCX reads it until the send completes. */
	struct ucx_msg_data_request header;
	void *local;
	size_t length;
	int status;
	bool sending;   /* the request's send has not completed */
	bool receiving; /* the answer's data is being received (rendezvous) */
	bool answered;
};

/** One configured peer: a client device and, while open, its connection and domain. */
struct ucx_device {
	struct ucx_driver *driver;
	char id[128];
	char address_text[112];
	char description[256];
	struct sockaddr_storage addr;
	socklen_t addr_len;

	/* Set by open, read-only afterwards until close. */
	struct spdk_memory_domain *domain;
	const struct ucx_api *api;
	ucp_worker_h worker;
	int worker_fd;
	uint64_t base, length;
	uint32_t flags;
	char transports[160];
	pthread_t thread;
	bool thread_started;

	/* Guarded by lock: the state, the submission queue, the RPCs. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum ucx_device_state state;
	int failure;
	struct ucx_op *queue_head, *queue_tail;
	struct ucx_rpc *pending_rpcs;
	uint64_t next_rpc_id;
	bool sleeping;
	/* Set (under lock) when the queue gains an operation, cleared when the progress thread
	 * takes it: lets the busy progress loop skip the lock while nothing was submitted. */
	atomic_bool queued;
	/* Operations submitted and not yet ended: incremented under lock, decremented by the
	 * progress thread, which broadcasts cond (under lock) when it reaches 0. */
	atomic_uint_fast64_t in_flight;
	atomic_bool stop;

	/* Progress thread only (and open, before the thread starts). */
	ucp_ep_h ep;
	bool ep_failed;
	ucs_status_t ep_status;
	bool region_received;
	int region_error;
	uint32_t region_version; /* the server's protocol version, when REGION could be read that far */
	uint64_t bytes_read, bytes_written, operations, failed_operations;
	uint64_t reported_operations, last_report_ms;
	uint64_t last_progress_ms, stall_timeout_ms;
	uint64_t spin_ns; /* UCX_SPIN_VARIABLE, in nanoseconds */
	/* Set when the stall watchdog failed the endpoint; read by diagnose on the host's thread. */
	atomic_bool stalled;
	/* The request table (UCX_REQUESTS_MAX slots), its free list and how many are in use. */
	struct ucx_piece *pieces;
	uint32_t free_piece;
	uint32_t outstanding;
	/* Operations taken from the queue whose pieces are not all sent (the table was full). */
	struct ucx_op *waiting_head, *waiting_tail;
	/* Answers whose id matched no outstanding request: ignored (read by diagnose). */
	atomic_uint_fast64_t unknown_answers;
};

/** The driver: its ops table and the devices of the configured peers. */
struct ucx_driver {
	struct dmahost_driver_ops ops;
	const struct dmahost_host_api *host;
	int32_t types[1];
	pthread_mutex_t lock;
	struct ucx_device **devices;
	struct dmahost_device_info *infos;
	uint32_t device_count, device_capacity;
	int unavailable;
	char unavailable_reason[320];
	char peers_note[320];
};

/** Opens a device: connects, receives the region, starts the progress thread. */
int ucx_device_connect(struct ucx_device *device, char *err, size_t err_len);
/** Connects to the device's peer and disconnects again (diagnose): 0, or why it failed in \b err. */
int ucx_device_connect_probe(struct ucx_device *device, char *err, size_t err_len);
/** Closes an open device after its operations completed (bounded), then frees its UCX state. */
void ucx_device_disconnect(struct ucx_device *device);

/* Operations (ucx_ops.c). */

/** What an operation does. */
enum ucx_op_kind {
	UCX_OP_READ,  /**< remote → local: one READ request per piece */
	UCX_OP_WRITE, /**< local → remote: one WRITE request per piece, the piece as its data */
	UCX_OP_ZERO,  /**< zeroes remote ranges: one ZERO request per piece */
	UCX_OP_RPC    /**< sends an alloc/free request */
};

/**
 * Queues a data operation (lists copied) for the progress thread. \b status, when not 0,
 * completes it with that status without moving anything (a failed bounce read). \b bounce is
 * freed when it completes. Returns 0, or -ENOTCONN when the device is not connected, -ENOMEM.
 */
int ucx_op_submit(struct ucx_device *device, enum ucx_op_kind kind, const struct iovec *local, uint32_t local_count,
		  const struct iovec *remote, uint32_t remote_count, spdk_memory_domain_data_cpl_cb cpl_cb,
		  void *cpl_cb_arg, void *bounce, int status);

/** Sends an alloc (\b is_alloc) or free request and waits for the answer (bounded). */
int ucx_rpc_call(struct ucx_device *device, bool is_alloc, uint64_t value, uint64_t extra, uint64_t *address);

/** Makes the device's empty request table. Returns 0 or -ENOMEM. */
int ucx_ops_prepare(struct ucx_device *device);

/**
 * After the worker is gone: ends every operation that still holds a request or waits to send
 * (each is reported once), and frees the request table.
 */
void ucx_ops_release_posted(struct ucx_device *device);

/** The progress thread's body. */
void *ucx_progress_main(void *arg);

/** Registers the client's active-message handlers on \b device's worker. */
int ucx_client_set_handlers(struct ucx_device *device);

/* Domain callbacks (ucx_domain.c). */

/** Creates the device's domain and registers its callbacks. */
int ucx_domain_create(struct ucx_device *device, char *err, size_t err_len);

/* Plugin-wide (plugin.c). */

/** The first host table seen (the spdk_memory_domain_* functions are the same in every table). */
const struct dmahost_host_api *ucx_host_functions(void);

#endif /* DMAHOST_UCX_HEADERS */
#endif /* DMAHOST_UCX_INTERNAL_H */
