/*
 * DMAHost UCX backend — the server's data path: WRITE, READ and ZERO requests, and answers.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Each request arrives as an active message on the server's progress thread. The handler
 * checks it against the region (lengths: -EINVAL, range: -EFAULT, a read-only region:
 * -EACCES) before it touches memory, moves the bytes and answers on the endpoint the request
 * came from. Nothing here waits: a WRITE whose data comes by rendezvous is received straight
 * into the region (ucp_am_recv_data_nbx) and answered when that completes; every answer is
 * sent without waiting, from a small copy of its header that the send's callback frees. An
 * answer to a client that is gone fails in UCX like any active message (the request completes
 * with the error): it is dropped and counted, and the server goes on.
 */
#include "ucx_server_internal.h"

#ifdef DMAHOST_UCX_HEADERS
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/** An answer in flight: a copy of its header, freed when its send completes. */
struct ucx_server_answer {
	struct dmahost_ucx_server *server;
	size_t header_length;
	uint64_t header[4];
};

/** A WRITE whose data is being received into the region (rendezvous). */
struct ucx_server_write {
	struct ucx_server_client *client;
	uint64_t id;
	uint64_t length;
};

struct ucx_server_client *ucx_server_client_of(struct dmahost_ucx_server *server, const ucp_am_recv_param_t *param)
{
	if (!(param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP)) {
		return NULL;
	}
	struct ucx_server_client *last = server->last_client;
	if (last != NULL && last->connected && last->ep == param->reply_ep) {
		return last;
	}
	for (struct ucx_server_client *client = server->clients; client != NULL; client = client->next) {
		if (client->connected && client->ep == param->reply_ep) {
			server->last_client = client;
			return client;
		}
	}
	return NULL;
}

static void answer_sent(void *request, ucs_status_t status, void *user_data)
{
	struct ucx_server_answer *answer = user_data;
	if (status != UCS_OK) {
		atomic_fetch_add_explicit(&answer->server->dropped_answers, 1, memory_order_relaxed);
	}
	answer->server->api->request_free(request);
	free(answer);
}

void ucx_server_send(struct dmahost_ucx_server *server, struct ucx_server_client *client, unsigned id,
		     const void *header, size_t header_length, const void *data, size_t data_length)
{
	struct ucx_server_answer *answer = NULL;
	if (client->connected && !client->failed && !client->closing && header_length <= sizeof(answer->header)) {
		answer = malloc(sizeof(*answer));
	}
	if (answer == NULL) {
		atomic_fetch_add_explicit(&server->dropped_answers, 1, memory_order_relaxed);
		return;
	}
	answer->server = server;
	answer->header_length = header_length;
	memcpy(answer->header, header, header_length);
	ucp_request_param_t param = {
		.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA,
		.cb.send = answer_sent,
		.user_data = answer,
	};
	ucs_status_ptr_t request =
		server->api->am_send_nbx(client->ep, id, answer->header, header_length, data, data_length, &param);
	if (request == NULL || UCS_PTR_IS_ERR(request)) {
		if (request != NULL) {
			atomic_fetch_add_explicit(&server->dropped_answers, 1, memory_order_relaxed);
		}
		free(answer);
	}
}

/* Sends a data request's answer (with \b data, a READ's bytes, unless NULL) and counts the
 * \b length bytes it moved, or that it was refused. */
static void answer(struct dmahost_ucx_server *server, struct ucx_server_client *client, unsigned reply_id, uint64_t id,
		   int status, const void *data, size_t length)
{
	pthread_mutex_lock(&server->lock);
	client->requests++;
	if (status != 0) {
		client->refused_requests++;
	} else if (reply_id == UCX_AM_READ_REPLY) {
		client->bytes_read += length;
	} else {
		client->bytes_written += length;
	}
	pthread_mutex_unlock(&server->lock);
	struct ucx_msg_data_reply reply = { .id = id, .status = status };
	bool with_data = status == 0 && data != NULL; /* a READ's answer: the bytes read */
	ucx_server_send(server, client, reply_id, &reply, sizeof(reply), with_data ? data : NULL, with_data ? length : 0);
}

/* The checks every request passes before the server touches memory. */
static int check_request(const struct dmahost_ucx_server *server, unsigned kind, const struct ucx_msg_data_request *request,
			 size_t data_length)
{
	if (request->length == 0 || (kind == UCX_AM_WRITE ? request->length != data_length
							   : request->length > UCX_DATA_REQUEST_MAX_BYTES)) {
		return -EINVAL;
	}
	uint64_t base = (uint64_t)(uintptr_t)server->memory;
	if (request->address < base || request->address - base > server->length ||
	    request->length > server->length - (request->address - base)) {
		return -EFAULT;
	}
	if (kind != UCX_AM_READ && (server->flags & DMAHOST_REMOTE_READ_ONLY)) {
		return -EACCES;
	}
	return 0;
}

static void write_received(void *request, ucs_status_t status, size_t length, void *user_data)
{
	(void)length;
	struct ucx_server_write *write = user_data;
	struct dmahost_ucx_server *server = write->client->server;
	server->api->request_free(request);
	answer(server, write->client, UCX_AM_WRITE_REPLY, write->id, ucx_errno(status), NULL, write->length);
	free(write);
}

/* A WRITE whose data comes by rendezvous: received straight into the region, answered when it is there. */
static void receive_write(struct dmahost_ucx_server *server, struct ucx_server_client *client,
			  const struct ucx_msg_data_request *request, void *data, void *target)
{
	struct ucx_server_write *write = malloc(sizeof(*write));
	if (write == NULL) {
		/* Returning without receiving drops the data; the client learns why. */
		answer(server, client, UCX_AM_WRITE_REPLY, request->id, -ENOMEM, NULL, 0);
		return;
	}
	*write = (struct ucx_server_write) { .client = client, .id = request->id, .length = request->length };
	ucp_request_param_t param = {
		.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA,
		.cb.recv_am = write_received,
		.user_data = write,
	};
	ucs_status_ptr_t pending = server->api->am_recv_data_nbx(server->worker, data, target, request->length, &param);
	if (pending == NULL || UCS_PTR_IS_ERR(pending)) {
		int status = pending == NULL ? 0 : ucx_errno(UCS_PTR_STATUS(pending));
		answer(server, client, UCX_AM_WRITE_REPLY, request->id, status, NULL, request->length);
		free(write);
	}
}

static ucs_status_t on_data_request(struct dmahost_ucx_server *server, unsigned kind, const void *header,
				    size_t header_length, void *data, size_t length, const ucp_am_recv_param_t *param)
{
	unsigned reply_id = kind == UCX_AM_WRITE ? UCX_AM_WRITE_REPLY : kind == UCX_AM_READ ? UCX_AM_READ_REPLY
											 : UCX_AM_ZERO_REPLY;
	struct ucx_server_client *client = ucx_server_client_of(server, param);
	struct ucx_msg_data_request request;
	if (client == NULL || header_length != sizeof(request)) {
		/* Nobody to answer, or no id to answer with. Returning UCS_OK drops rendezvous data too. */
		atomic_fetch_add_explicit(&server->dropped_answers, 1, memory_order_relaxed);
		return UCS_OK;
	}
	memcpy(&request, header, sizeof(request));
	int status = check_request(server, kind, &request, kind == UCX_AM_WRITE ? length : 0);
	if (status != 0) {
		answer(server, client, reply_id, request.id, status, NULL, 0);
		return UCS_OK;
	}
	void *target = (char *)server->memory + (request.address - (uint64_t)(uintptr_t)server->memory);
	if (kind == UCX_AM_READ) {
		answer(server, client, reply_id, request.id, 0, target, request.length);
	} else if (kind == UCX_AM_ZERO) {
		memset(target, 0, request.length);
		answer(server, client, reply_id, request.id, 0, NULL, request.length);
	} else if (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) {
		receive_write(server, client, &request, data, target);
	} else {
		memcpy(target, data, request.length);
		answer(server, client, reply_id, request.id, 0, NULL, request.length);
	}
	return UCS_OK;
}

static ucs_status_t on_write(void *arg, const void *header, size_t header_length, void *data, size_t length,
			     const ucp_am_recv_param_t *param)
{
	return on_data_request(arg, UCX_AM_WRITE, header, header_length, data, length, param);
}

static ucs_status_t on_read(void *arg, const void *header, size_t header_length, void *data, size_t length,
			    const ucp_am_recv_param_t *param)
{
	return on_data_request(arg, UCX_AM_READ, header, header_length, data, length, param);
}

static ucs_status_t on_zero(void *arg, const void *header, size_t header_length, void *data, size_t length,
			    const ucp_am_recv_param_t *param)
{
	return on_data_request(arg, UCX_AM_ZERO, header, header_length, data, length, param);
}

int ucx_server_set_data_handlers(struct dmahost_ucx_server *server)
{
	static const struct ucx_am_handler handlers[] = {
		{ UCX_AM_WRITE, on_write },
		{ UCX_AM_READ, on_read },
		{ UCX_AM_ZERO, on_zero },
	};
	return ucx_set_am_handlers(server->api, server->worker, handlers, sizeof(handlers) / sizeof(handlers[0]), server);
}
#endif /* DMAHOST_UCX_HEADERS */
