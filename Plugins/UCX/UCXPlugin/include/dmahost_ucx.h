/*
 * DMAHost UCX backend — the functions the plugin exports besides its driver entry.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * What `libdmahost-ucx.so` exports besides its driver entry: the server side of the UCX backend,
 * for `dmactl serve` (which finds these functions with `dlsym` on the loaded plugin, so that it
 * never links libucp) and for programs that embed a server; and \ref dmahost_ucx_add_peer, which
 * adds a client peer without the environment.
 *
 * A server listens on a socket address (`ucp_listener`), exposes one region of memory and, for
 * every client that connects, sends the region's description. Clients read and write the
 * region with requests (UCP active messages) that the server checks and carries out itself:
 * a range outside the region is refused with -EFAULT, a write into a read-only region with
 * -EACCES, inconsistent lengths with -EINVAL, before the server touches its memory. The
 * server's UCP context has no RMA, so no client can reach its memory any other way. It answers
 * the clients' allocation requests (\ref dmahost_remote_domain_ctx of `dmahost/remote.h`) from
 * one allocator, so that clients never get overlapping ranges, and frees a client's ranges when
 * it disconnects or its endpoint fails. A client that dies affects neither the server nor the
 * other clients: an answer that can no longer be sent is dropped and counted.
 *
 * Threads: the server runs one progress thread of its own. The functions below may be called
 * from any thread; \ref dmahost_ucx_server_stop once per server, after which the handle is invalid.
 */
#ifndef DMAHOST_UCX_H
#define DMAHOST_UCX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Name of \ref dmahost_ucx_server_start, for dlsym. */
#define DMAHOST_UCX_SERVER_START_SYMBOL "dmahost_ucx_server_start"
/** Name of \ref dmahost_ucx_server_describe, for dlsym. */
#define DMAHOST_UCX_SERVER_DESCRIBE_SYMBOL "dmahost_ucx_server_describe"
/** Name of \ref dmahost_ucx_server_stop, for dlsym. */
#define DMAHOST_UCX_SERVER_STOP_SYMBOL "dmahost_ucx_server_stop"

/** Name of \ref dmahost_ucx_add_peer, for dlsym. */
#define DMAHOST_UCX_ADD_PEER_SYMBOL "dmahost_ucx_add_peer"

/**
 * Adds a peer to the devices the plugin reports, for the life of the process, beside those of
 * DMAHOST_UCX_PEERS: for programs that configure peers at run time rather than through the
 * environment. Takes effect at the host's next probe of the plugin (its load).
 *
 * \param address "HOST:PORT" or "[IPv6]:PORT".
 * \param err Receives a NUL-terminated reason on failure (\b err_len bytes).
 * \return 0 (also when the peer is already listed); -EINVAL for an address that does not parse or
 * resolve; -ENOMEM.
 */
int dmahost_ucx_add_peer(const char *address, char *err, size_t err_len);

/** An opaque running server. */
struct dmahost_ucx_server;

/**
 * Starts a server.
 *
 * \param listen "IP:PORT" or "[IPv6]:PORT" to listen on; port 0 takes a free port (see
 * \ref dmahost_ucx_server_describe for the one taken).
 * \param memory The region to expose, owned by the caller and valid until the server is
 * stopped (e.g. a dma-buf's CPU mapping); NULL: the server maps \b length bytes of anonymous
 * memory itself.
 * \param length Bytes of the region (above 0).
 * \param flags `DMAHOST_REMOTE_READ_ONLY` (dmahost/remote.h) or 0.
 * \param server Receives the handle.
 * \param err Receives a NUL-terminated reason on failure (\b err_len bytes).
 * \return 0; -EINVAL for a bad address or length; -ENOENT when libucp cannot be loaded;
 * -EADDRINUSE or another negated errno when listening or registering fails.
 */
int dmahost_ucx_server_start(const char *listen, void *memory, uint64_t length, uint32_t flags,
			     struct dmahost_ucx_server **server, char *err, size_t err_len);

/**
 * Describes the server as one JSON object: `address` (IP:PORT, the port actually bound),
 * `base`, `bytes`, `access` ("read-write" or "read-only"), and `clients`, one object per client
 * that ever connected: `peer`, `state` ("connected" or "disconnected"), `connected_seconds`,
 * `allocations`, `allocated_bytes`, what the server moved for it (`bytes_read`, `bytes_written`;
 * zeroed bytes count as written), the data `requests` it answered and how many of them it
 * `refused_requests`, and the operation counts the client reported: `operations`,
 * `failed_operations`. Beside `clients`, `dropped_answers`: answers the server could not send
 * (their client had gone).
 *
 * \return The length of the whole text (without the NUL), as snprintf does: when it is
 * \b length or more, the text was cut; call again with a larger buffer. -EINVAL for a NULL server.
 */
int dmahost_ucx_server_describe(struct dmahost_ucx_server *server, char *buffer, size_t length);

/** Disconnects every client, stops listening, unregisters and frees the region it mapped. */
void dmahost_ucx_server_stop(struct dmahost_ucx_server *server);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_UCX_H */
