/*
 * DMAHost UCX backend — the messages between a client device and a server.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Every message is a UCP active message whose header is one of the structures below (host
 * byte order: both sides run this plugin on the same architecture, checked by the magic and
 * version of the region message). The server's CPU moves every byte: it receives each data
 * request, checks it against its region and answers it itself, so that what a client may do
 * is decided by the server, on every transport.
 *
 * 1. The server accepts a connection and sends REGION (base, length, flags).
 * 2. The client sends ALLOC / FREE and waits for ALLOC_REPLY / FREE_REPLY carrying the same
 *    request id.
 * 3. The client moves data with WRITE (the message's data is the bytes to write), READ and
 *    ZERO; the server answers each with WRITE_REPLY, READ_REPLY (the message's data is the
 *    bytes read) or ZERO_REPLY carrying the request's id and a status.
 * 4. The client sends COUNTERS about once a second while it has moved data, and when it closes.
 *
 * Every client → server request is sent with UCP_AM_SEND_FLAG_REPLY: the server answers on
 * the endpoint the request came from.
 *
 * A data request's range must lie in the region (else the answer is -EFAULT); WRITE and ZERO
 * need a region that is not read-only (-EACCES); a WRITE's length must equal the length of
 * its data, a READ's or ZERO's must not exceed \ref UCX_DATA_REQUEST_MAX_BYTES (-EINVAL).
 * The server touches its memory only for a request that passed every check.
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
	UCX_AM_COUNTERS = 6,
	UCX_AM_WRITE = 7,
	UCX_AM_WRITE_REPLY = 8,
	UCX_AM_READ = 9,
	UCX_AM_READ_REPLY = 10,
	UCX_AM_ZERO = 11,
	UCX_AM_ZERO_REPLY = 12
};

/** REGION's magic ("dmhu"). */
#define UCX_REGION_MAGIC 0x646d6875u
/**
 * The protocol version in REGION. Version 1 moved data with UCP RMA on an rkey sent in
 * REGION; version 2 moves it with the data requests below. Peers of different versions
 * refuse each other at connection.
 */
#define UCX_PROTOCOL_VERSION 2u

/** Largest range one READ or ZERO request names (a client cuts larger ranges into pieces). */
#define UCX_DATA_REQUEST_MAX_BYTES (4u * 1024u * 1024u)

/**
 * Server → client, once per connection, without data. Its layout up to \b flags is the one of
 * every version, so that a peer of another version can read \b version and say so.
 */
struct ucx_msg_region {
	uint32_t magic;
	uint32_t version;
	uint64_t base;
	uint64_t length;
	uint32_t flags;
	uint32_t reserved; /**< 0 (version 1: the length of the rkey sent as data) */
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

/**
 * Client → server: WRITE, READ or ZERO of \b length bytes at \b address (in the server's
 * address space). \b id is the client's, unique among its outstanding requests.
 */
struct ucx_msg_data_request {
	uint64_t id;
	uint64_t address;
	uint64_t length;
};

/**
 * Server → client: the answer to the data request \b id: \b status 0 or a negated errno
 * (-EFAULT, -EACCES, -EINVAL, or the error of receiving the written data). A READ_REPLY with
 * status 0 carries the bytes read as its data.
 */
struct ucx_msg_data_reply {
	uint64_t id;
	int64_t status;
};

/**
 * Client → server: what the client has done so far (running totals). The server shows the
 * operation counts; bytes are counted by the server itself, from the requests it answered.
 */
struct ucx_msg_counters {
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t operations;
	uint64_t failed_operations;
};

#endif /* DMAHOST_UCX_PROTOCOL_H */
