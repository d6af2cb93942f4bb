/*
 * DMAHost UCX backend — the server's state, shared by its connection code and its data path.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef DMAHOST_UCX_SERVER_INTERNAL_H
#define DMAHOST_UCX_SERVER_INTERNAL_H

#include "dmahost_ucx.h"
#include "ucx_internal.h"

#ifdef DMAHOST_UCX_HEADERS
#include <time.h>

#include "ucx_protocol.h"
#include "ucx_server_alloc.h"

/** One client that connected: its endpoint while connected, what it holds, did and reported. */
struct ucx_server_client {
	struct ucx_server_client *next;
	struct dmahost_ucx_server *server;
	ucp_ep_h ep;
	char peer[80];
	time_t connected_at;
	uint64_t connected_ms, disconnected_ms;
	bool connected;
	/* Set by the endpoint's error callback: nothing more is sent to it; the loop closes it. */
	bool failed;
	/* Set while and after its endpoint is closed: nothing more is sent to it. */
	bool closing;
	/* Under the server's lock: what the server moved for it, and what it refused. */
	uint64_t bytes_read, bytes_written, requests, refused_requests;
	/* Under the server's lock: the client's own totals (COUNTERS); its operation counts are shown. */
	struct ucx_msg_counters reported;
};

/** The server (the opaque handle of dmahost_ucx.h). */
struct dmahost_ucx_server {
	const struct ucx_api *api;
	ucp_context_h context;
	ucp_worker_h worker;
	int worker_fd;
	ucp_listener_h listener;
	void *memory;
	bool owns_memory;
	uint64_t length;
	uint32_t flags;
	char address[96];
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	pthread_mutex_t lock;
	struct ucx_server_client *clients;
	struct ucx_allocator allocator;
	/* Answers that could not be sent (their client was gone): dropped and counted. */
	atomic_uint_fast64_t dropped_answers;
	/* Progress thread only. */
	struct ucx_server_task *tasks, *tasks_tail;
	struct ucx_server_client *last_client; /* the last one a message came from */
};

/**
 * The connected client that sent the message of \b param (its reply endpoint), or NULL (no
 * reply endpoint, or one the server did not accept). Progress thread only.
 */
struct ucx_server_client *ucx_server_client_of(struct dmahost_ucx_server *server, const ucp_am_recv_param_t *param);

/**
 * Sends message \b id to \b client without waiting: \b header is copied, \b data must stay
 * valid until the send completes (the region's memory, or none). A client that failed or is
 * closing, or a send that fails, drops the message and counts it in dropped_answers.
 * Progress thread only.
 */
void ucx_server_send(struct dmahost_ucx_server *server, struct ucx_server_client *client, unsigned id,
		     const void *header, size_t header_length, const void *data, size_t data_length);

/** Registers the handlers of WRITE, READ and ZERO on the server's worker. Returns 0 or a negated errno. */
int ucx_server_set_data_handlers(struct dmahost_ucx_server *server);

#endif /* DMAHOST_UCX_HEADERS */
#endif /* DMAHOST_UCX_SERVER_INTERNAL_H */
