/*
 * DMAHost UCX backend — the control messages between a client device and a server.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Data moves with UCP RMA (put/get on the server's registered region). Everything else is a
 * UCP active message whose header is one of the structures below (host byte order: both
 * sides run this plugin on the same architecture, checked by the magic and version of the
 * region message).
 *
 * 1. The server accepts a connection and sends REGION (base, length, flags; the packed rkey
 *    as the message's data).
 * 2. The client sends ALLOC / FREE (with UCP_AM_SEND_FLAG_REPLY, so the server knows the
 *    endpoint) and waits for ALLOC_REPLY / FREE_REPLY carrying the same request id.
 * 3. The client sends COUNTERS about once a second while it has moved data, and when it closes.
 */
#ifndef DMAHOST_UCX_PROTOCOL_H
#define DMAHOST_UCX_PROTOCOL_H

#include <stdint.h>

/** Active-message ids. */
enum ucx_am_id {
	UCX_AM_REGION = 1,
	UCX_AM_ALLOC = 2,
	UCX_AM_ALLOC_REPLY = 3,
	UCX_AM_FREE = 4,
	UCX_AM_FREE_REPLY = 5,
	UCX_AM_COUNTERS = 6
};

/** REGION's magic ("dmhu") and protocol version. */
#define UCX_REGION_MAGIC 0x646d6875u
#define UCX_PROTOCOL_VERSION 1u

/** Server → client, once per connection; the data is the packed rkey. */
struct ucx_msg_region {
	uint32_t magic;
	uint32_t version;
	uint64_t base;
	uint64_t length;
	uint32_t flags;
	uint32_t rkey_length;
};

/** Client → server: allocate (\b value = length, \b extra = alignment) or free (\b value = address). */
struct ucx_msg_request {
	uint64_t id;
	uint64_t value;
	uint64_t extra;
};

/** Server → client: the answer to the request \b id (\b status 0 or a negated errno). */
struct ucx_msg_reply {
	uint64_t id;
	int64_t status;
	uint64_t address;
};

/** Client → server: what the client has moved so far (running totals). */
struct ucx_msg_counters {
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t operations;
	uint64_t failed_operations;
};

#endif /* DMAHOST_UCX_PROTOCOL_H */
