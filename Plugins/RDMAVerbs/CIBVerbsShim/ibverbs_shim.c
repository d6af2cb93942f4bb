/* Out-of-line wrappers; see include/dmahost_ibverbs_shim.h for the contract of each. */
#include "dmahost_ibverbs_shim.h"

#include <errno.h>

/* Bound weakly so that the plugin links and loads against a libibverbs that predates the
 * function (rdma-core < v34); newer verbs.h declare it identically. */
extern struct ibv_mr *ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset, size_t length,
					uint64_t iova, int fd, int access) __attribute__((weak));

struct ibv_device **dmahost_rdma_ibv_get_device_list(int *num_devices)
{
	return ibv_get_device_list(num_devices);
}

int dmahost_rdma_ibv_query_port(struct ibv_context *context, uint8_t port_num, struct ibv_port_attr *port_attr)
{
	return ibv_query_port(context, port_num, port_attr);
}

struct ibv_mr *dmahost_rdma_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	return ibv_reg_mr(pd, addr, length, access);
}

int dmahost_rdma_ibv_has_reg_dmabuf_mr(void)
{
	return ibv_reg_dmabuf_mr != NULL;
}

struct ibv_mr *dmahost_rdma_ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset, size_t length,
					 uint64_t iova, int fd, int access)
{
	if (ibv_reg_dmabuf_mr == NULL) {
		errno = ENOSYS;
		return NULL;
	}
	return ibv_reg_dmabuf_mr(pd, offset, length, iova, fd, access);
}

int dmahost_rdma_ibv_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr)
{
	return ibv_post_send(qp, wr, bad_wr);
}

int dmahost_rdma_ibv_poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc)
{
	return ibv_poll_cq(cq, num_entries, wc);
}

int dmahost_rdma_ibv_req_notify_cq(struct ibv_cq *cq, int solicited_only)
{
	return ibv_req_notify_cq(cq, solicited_only);
}
