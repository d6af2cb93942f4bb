/*
 * DMAHost UCX backend — resolving libucp at run time.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "ucx_api.h"

#ifdef DMAHOST_UCX_HEADERS
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ucx_api g_api;
static int g_api_rc;
static char g_api_err[256];
static pthread_once_t g_api_once = PTHREAD_ONCE_INIT;

#define UCX_RESOLVE(field, symbol)                                                          \
	do {                                                                                \
		*(void **)(&g_api.field) = dlsym(g_api.handle, symbol);                     \
		if (g_api.field == NULL) {                                                  \
			snprintf(g_api_err, sizeof(g_api_err), "libucp.so.0 has no %s: UCX 1.13 or newer is needed", \
				 symbol);                                                   \
			g_api_rc = -ENOSYS;                                                 \
			return;                                                             \
		}                                                                           \
	} while (0)

/*
 * libucp changes state of the whole process that other backends in it depend on, so the
 * plugin turns those changes off before libucp loads, unless the variables are set:
 *   - UCX's memory hooks (libucm) patch mmap, munmap, mremap and malloc in place: the RDMA
 *     backend's userfaultfd memory monitor stops seeing mremap moves, and a sanitizer
 *     runtime's interceptors do not survive the patching (UCX_MEM_EVENTS=no,
 *     UCX_MEM_MALLOC_HOOKS=no; UCX then registers per operation where a transport needs it).
 *   - UCX's InfiniBand transports call ibv_fork_init(): every later ibv_reg_mr of the process,
 *     the RDMA backend's included, then madvises its range MADV_DONTFORK, which the kernel
 *     refuses (EINVAL) for device mappings such as a dma-buf heap's (UCX_IB_FORK_INIT=no).
 *   - UCX catches SIGSEGV, SIGBUS, SIGILL and SIGFPE to print its own backtrace, in place of
 *     the host's crash handling (UCX_ERROR_SIGNALS empty).
 * UCX writes its log lines (warnings included) to standard output, where they would break a
 * program's own output (`dmactl … --format json`): UCX_LOG_FILE=stderr sends them to standard
 * error. It also warns about a UCX_* variable that no loaded transport reads (a machine without
 * InfiniBand does not read UCX_IB_FORK_INIT): UCX_WARN_UNUSED_ENV_VARS=n. Both unless set.
 */
static void keep_process_state(void)
{
	setenv("UCX_MEM_EVENTS", "no", 0);
	setenv("UCX_MEM_MALLOC_HOOKS", "no", 0);
	setenv("UCX_IB_FORK_INIT", "no", 0);
	setenv("UCX_ERROR_SIGNALS", "", 0);
	setenv("UCX_WARN_UNUSED_ENV_VARS", "n", 0);
	setenv("UCX_LOG_FILE", "stderr", 0);
}

static void load_once(void)
{
	keep_process_state();
	g_api.handle = dlopen("libucp.so.0", RTLD_NOW | RTLD_LOCAL);
	if (g_api.handle == NULL) {
		const char *why = dlerror();
		snprintf(g_api_err, sizeof(g_api_err),
			 "cannot load libucp.so.0 (%s): install UCX (Debian: apt-get install libucx0 ucx-utils)",
			 why != NULL ? why : "not found");
		g_api_rc = -ENOENT;
		return;
	}
	UCX_RESOLVE(config_read, "ucp_config_read");
	UCX_RESOLVE(config_release, "ucp_config_release");
	UCX_RESOLVE(config_modify, "ucp_config_modify");
	UCX_RESOLVE(init_version, "ucp_init_version");
	UCX_RESOLVE(get_version_string, "ucp_get_version_string");
	UCX_RESOLVE(worker_create, "ucp_worker_create");
	UCX_RESOLVE(worker_destroy, "ucp_worker_destroy");
	UCX_RESOLVE(worker_progress, "ucp_worker_progress");
	UCX_RESOLVE(worker_get_efd, "ucp_worker_get_efd");
	UCX_RESOLVE(worker_arm, "ucp_worker_arm");
	UCX_RESOLVE(worker_signal, "ucp_worker_signal");
	UCX_RESOLVE(worker_set_am_recv_handler, "ucp_worker_set_am_recv_handler");
	UCX_RESOLVE(listener_create, "ucp_listener_create");
	UCX_RESOLVE(listener_destroy, "ucp_listener_destroy");
	UCX_RESOLVE(listener_query, "ucp_listener_query");
	UCX_RESOLVE(conn_request_query, "ucp_conn_request_query");
	UCX_RESOLVE(listener_reject, "ucp_listener_reject");
	UCX_RESOLVE(ep_create, "ucp_ep_create");
	UCX_RESOLVE(ep_close_nbx, "ucp_ep_close_nbx");
	UCX_RESOLVE(ep_print_info, "ucp_ep_print_info");
	UCX_RESOLVE(am_send_nbx, "ucp_am_send_nbx");
	UCX_RESOLVE(am_recv_data_nbx, "ucp_am_recv_data_nbx");
	UCX_RESOLVE(request_check_status, "ucp_request_check_status");
	UCX_RESOLVE(request_free, "ucp_request_free");
	UCX_RESOLVE(status_string, "ucs_status_string");
	g_api_rc = 0;
}

int ucx_api_load(const struct ucx_api **api, char *err, size_t err_len)
{
	pthread_once(&g_api_once, load_once);
	if (g_api_rc != 0) {
		if (err != NULL && err_len > 0) {
			snprintf(err, err_len, "%s", g_api_err);
		}
		return g_api_rc;
	}
	*api = &g_api;
	return 0;
}

int ucx_errno(ucs_status_t status)
{
	switch (status) {
	case UCS_OK:
		return 0;
	case UCS_ERR_CONNECTION_RESET:
	case UCS_ERR_CANCELED:
	case UCS_ERR_ENDPOINT_TIMEOUT: /* the peer stopped answering: the connection is lost */
		return -ECONNRESET;
	case UCS_ERR_TIMED_OUT:
		return -ETIMEDOUT;
	case UCS_ERR_UNREACHABLE:
		return -EHOSTUNREACH;
	case UCS_ERR_REJECTED:
		return -ECONNREFUSED;
	case UCS_ERR_NOT_CONNECTED:
		return -ENOTCONN;
	case UCS_ERR_NO_MEMORY:
		return -ENOMEM;
	case UCS_ERR_INVALID_PARAM:
		return -EINVAL;
	case UCS_ERR_INVALID_ADDR:
		return -EFAULT;
	case UCS_ERR_UNSUPPORTED:
		return -ENOTSUP;
	case UCS_ERR_BUSY:
		return -EBUSY;
	case UCS_ERR_NO_RESOURCE:
		return -EAGAIN;
	default:
		return -EIO;
	}
}
#endif /* DMAHOST_UCX_HEADERS */
