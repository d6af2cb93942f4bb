/*
 * DMAHost RDMA backend — C wrappers for the parts of libibverbs Swift cannot call.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * Out-of-line wrappers around libibverbs entry points that `infiniband/verbs.h` defines as
 * macros or `static inline` functions (Swift imports neither macros nor, reliably, the provider
 * dispatch those inlines perform), and the weakly bound `ibv_reg_dmabuf_mr`.
 *
 * Every wrapper calls exactly one libibverbs function and returns its result unchanged:
 * error conventions are the wrapped function's own, and the Swift layer (VerbsCall.swift) is the
 * one place that turns them into typed errors and retries EINTR. No wrapper keeps state, and all
 * may be called from any thread (libibverbs is thread-safe).
 */

#ifndef DMAHOST_IBVERBS_SHIM_H
#define DMAHOST_IBVERBS_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * `ibv_get_device_list` (a macro in verbs.h).
 * \param num_devices Receives the number of devices; may be NULL.
 * \return A NULL-terminated array to release with `ibv_free_device_list`, or NULL with errno set.
 */
struct ibv_device **dmahost_rdma_ibv_get_device_list(int *num_devices);

/**
 * `ibv_query_port` (a macro in verbs.h).
 * \return 0, or an errno value (positive) on failure.
 */
int dmahost_rdma_ibv_query_port(struct ibv_context *context, uint8_t port_num, struct ibv_port_attr *port_attr);

/**
 * `ibv_reg_mr` (a macro in verbs.h): register \b length bytes at \b addr in \b pd.
 * \return The memory region (release with `ibv_dereg_mr`), or NULL with errno set.
 */
struct ibv_mr *dmahost_rdma_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access);

/**
 * Whether the libibverbs this process loaded exports `ibv_reg_dmabuf_mr` (rdma-core v34 and
 * later). The symbol is bound weakly, so the plugin builds and loads without it.
 * \return 1 when available, 0 otherwise.
 */
int dmahost_rdma_ibv_has_reg_dmabuf_mr(void);

/**
 * `ibv_reg_dmabuf_mr`: register \b length bytes at \b offset of the dma-buf \b fd, seen by the
 * device at \b iova. The caller keeps \b fd open for the life of the region.
 * \return The memory region, or NULL with errno set (ENOSYS when libibverbs lacks the function,
 * EOPNOTSUPP when the provider cannot register dma-bufs, as rxe).
 */
struct ibv_mr *dmahost_rdma_ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset, size_t length,
					 uint64_t iova, int fd, int access);

/**
 * `ibv_post_send` (static inline in verbs.h): post a chain of send work requests.
 * \param bad_wr Receives the first request not posted, on failure.
 * \return 0, or an errno value (positive).
 */
int dmahost_rdma_ibv_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr);

/**
 * `ibv_poll_cq` (static inline in verbs.h): take up to \b num_entries completions.
 * \return The number of completions written to \b wc (0 when empty), or a negative value on failure.
 */
int dmahost_rdma_ibv_poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);

/**
 * `ibv_req_notify_cq` (static inline in verbs.h): arm \b cq so that its next completion
 * produces an event on its completion channel.
 * \return 0, or an errno value (positive).
 */
int dmahost_rdma_ibv_req_notify_cq(struct ibv_cq *cq, int solicited_only);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_IBVERBS_SHIM_H */
