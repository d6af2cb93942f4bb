/*
 * DMAHost UCX backend — the UCP functions it calls, resolved at run time.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * The plugin never links libucp: it opens `libucp.so.0` with dlopen when the host probes it,
 * so that a host without UCX still loads the plugin, which then reports no devices and says
 * why (`dmactl doctor`). Every UCP call goes through the table below.
 */
#ifndef DMAHOST_UCX_API_H
#define DMAHOST_UCX_API_H

#if defined(__has_include)
#if __has_include(<ucp/api/ucp.h>)
#define DMAHOST_UCX_HEADERS 1
#endif
#endif

#ifdef DMAHOST_UCX_HEADERS
#include <ucp/api/ucp.h>

/** The UCP (and UCS) functions of the loaded libucp, all resolved. */
struct ucx_api {
	void *handle;
	ucs_status_t (*config_read)(const char *, const char *, ucp_config_t **);
	void (*config_release)(ucp_config_t *);
	ucs_status_t (*config_modify)(ucp_config_t *, const char *, const char *);
	ucs_status_t (*init_version)(unsigned, unsigned, const ucp_params_t *, const ucp_config_t *, ucp_context_h *);
	const char *(*get_version_string)(void);
	ucs_status_t (*worker_create)(ucp_context_h, const ucp_worker_params_t *, ucp_worker_h *);
	void (*worker_destroy)(ucp_worker_h);
	unsigned (*worker_progress)(ucp_worker_h);
	ucs_status_t (*worker_get_efd)(ucp_worker_h, int *);
	ucs_status_t (*worker_arm)(ucp_worker_h);
	ucs_status_t (*worker_signal)(ucp_worker_h);
	ucs_status_t (*worker_set_am_recv_handler)(ucp_worker_h, const ucp_am_handler_param_t *);
	ucs_status_t (*listener_create)(ucp_worker_h, const ucp_listener_params_t *, ucp_listener_h *);
	void (*listener_destroy)(ucp_listener_h);
	ucs_status_t (*listener_query)(ucp_listener_h, ucp_listener_attr_t *);
	ucs_status_t (*conn_request_query)(ucp_conn_request_h, ucp_conn_request_attr_t *);
	ucs_status_t (*listener_reject)(ucp_listener_h, ucp_conn_request_h);
	ucs_status_t (*ep_create)(ucp_worker_h, const ucp_ep_params_t *, ucp_ep_h *);
	ucs_status_ptr_t (*ep_close_nbx)(ucp_ep_h, const ucp_request_param_t *);
	void (*ep_print_info)(ucp_ep_h, FILE *);
	ucs_status_ptr_t (*am_send_nbx)(ucp_ep_h, unsigned, const void *, size_t, const void *, size_t,
					const ucp_request_param_t *);
	ucs_status_ptr_t (*am_recv_data_nbx)(ucp_worker_h, void *, void *, size_t, const ucp_request_param_t *);
	ucs_status_t (*request_check_status)(void *);
	void (*request_free)(void *);
	const char *(*status_string)(ucs_status_t);
};

/**
 * Opens libucp.so.0 and resolves every function of \b api (once per process; later calls
 * return the first outcome). Returns 0, or -ENOENT (no library) / -ENOSYS (a missing symbol)
 * with the reason in \b err.
 */
int ucx_api_load(const struct ucx_api **api, char *err, size_t err_len);

/** The negated errno that stands for a UCS status (0 for UCS_OK). */
int ucx_errno(ucs_status_t status);

#endif /* DMAHOST_UCX_HEADERS */
#endif /* DMAHOST_UCX_API_H */
