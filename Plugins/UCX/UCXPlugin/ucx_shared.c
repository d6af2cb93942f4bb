/*
 * DMAHost UCX backend — the process-wide UCP context, peer addresses, transport descriptions.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "ucx_internal.h"

#ifdef DMAHOST_UCX_HEADERS
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct ucx_shared g_shared;
static int g_shared_rc;
static char g_shared_err[320];
static pthread_once_t g_shared_once = PTHREAD_ONCE_INIT;

/*
 * Peer-failure detection: UCP's keepalive probes idle endpoints every KEEPALIVE_INTERVAL
 * (UCX's default is 20 s; the plugin's 1 s, unless UCX_KEEPALIVE_INTERVAL is set). A peer
 * process that dies has its connections closed by its kernel, which fails the endpoint at once.
 */
static const char *const g_keepalive_defaults[][2] = {
	{ "KEEPALIVE_INTERVAL", "1s" },
};

static void shared_once(void)
{
	const struct ucx_api *api = NULL;
	g_shared_rc = ucx_api_load(&api, g_shared_err, sizeof(g_shared_err));
	if (g_shared_rc != 0) {
		return;
	}
	ucp_config_t *config = NULL;
	ucs_status_t status = api->config_read(NULL, NULL, &config);
	if (status != UCS_OK) {
		snprintf(g_shared_err, sizeof(g_shared_err), "ucp_config_read: %s (check the UCX_* variables)",
			 api->status_string(status));
		g_shared_rc = ucx_errno(status);
		return;
	}
	for (size_t i = 0; i < sizeof(g_keepalive_defaults) / sizeof(g_keepalive_defaults[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "UCX_%s", g_keepalive_defaults[i][0]);
		if (getenv(name) == NULL) {
			(void)api->config_modify(config, g_keepalive_defaults[i][0], g_keepalive_defaults[i][1]);
		}
	}
	/*
	 * Active messages and wake-up only, not RMA: clients and servers move data with the
	 * plugin's own requests. A worker installs each of UCP's internal message handlers only
	 * when the context's features include that handler's (ucp_worker_set_am_handlers in
	 * ucp_worker.c skips the others), and the handlers of UCP's software RMA over transports
	 * without remote memory access (put, get request and reply, completion in rma_sw.c) are
	 * declared for UCP_FEATURE_RMA / UCP_FEATURE_AMO. Without them no peer can make this
	 * process write or read its memory through UCP's own puts and gets, and no put or get
	 * reply to a peer that died can abort it (UCX 1.13 treats a failed reply as fatal).
	 */
	ucp_params_t params = {
		.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED | UCP_PARAM_FIELD_NAME,
		.features = UCP_FEATURE_AM | UCP_FEATURE_WAKEUP,
		.mt_workers_shared = 1,
		.name = "dmahost-ucx",
	};
	status = api->init_version(UCP_API_MAJOR, UCP_API_MINOR, &params, config, &g_shared.context);
	api->config_release(config);
	if (status != UCS_OK) {
		snprintf(g_shared_err, sizeof(g_shared_err),
			 "ucp_init: %s (no usable UCX transport; `ucx_info -d` lists them, UCX_TLS selects them)",
			 api->status_string(status));
		g_shared_rc = ucx_errno(status);
		return;
	}
	g_shared.api = api;
	g_shared_rc = 0;
}

int ucx_shared_get(struct ucx_shared *shared, char *err, size_t err_len)
{
	pthread_once(&g_shared_once, shared_once);
	if (g_shared_rc != 0) {
		if (err != NULL && err_len > 0) {
			snprintf(err, err_len, "%s", g_shared_err);
		}
		return g_shared_rc;
	}
	*shared = g_shared;
	return 0;
}

int ucx_parse_address(const char *text, struct sockaddr_storage *addr, socklen_t *len, char *err, size_t err_len)
{
	char host[96];
	const char *port;
	if (text == NULL || text[0] == '\0') {
		snprintf(err, err_len, "empty peer address; write HOST:PORT or [IPv6]:PORT");
		return -EINVAL;
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host)) {
			snprintf(err, err_len, "'%s': write an IPv6 peer as [ADDRESS]:PORT", text);
			return -EINVAL;
		}
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (colon == NULL || (size_t)(colon - text) >= sizeof(host) || strchr(text, ':') != colon) {
			snprintf(err, err_len, "'%s': write a peer as HOST:PORT (IPv6: [ADDRESS]:PORT)", text);
			return -EINVAL;
		}
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port = colon + 1;
	}
	char *end = NULL;
	long number = strtol(port, &end, 10);
	if (port[0] == '\0' || end == NULL || *end != '\0' || number < 0 || number > 65535 || host[0] == '\0') {
		snprintf(err, err_len, "'%s': the port must be a number 0...65535 after the host", text);
		return -EINVAL;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *found = NULL;
	int rc = getaddrinfo(host, port, &hints, &found);
	if (rc != 0 || found == NULL) {
		snprintf(err, err_len, "'%s': cannot resolve '%s': %s", text, host, gai_strerror(rc));
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, found->ai_addr, found->ai_addrlen);
	*len = found->ai_addrlen;
	freeaddrinfo(found);
	return 0;
}

/*
 * ucp_ep_print_info prints the endpoint's configuration, one line per lane with the transport
 * and device ("... lane[0]: 1:tcp/eth0.0 md[1] ..."); the plugin keeps the distinct "tl/dev" words.
 */
void ucx_describe_transports(const struct ucx_api *api, ucp_ep_h ep, char *out, size_t out_len)
{
	char *text = NULL;
	size_t text_len = 0;
	out[0] = '\0';
	FILE *stream = open_memstream(&text, &text_len);
	if (stream == NULL) {
		return;
	}
	api->ep_print_info(ep, stream);
	fclose(stream);
	size_t used = 0;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *lane = strstr(line, "lane[");
		if (lane == NULL) {
			continue;
		}
		char *colon = strchr(lane, ':');
		if (colon == NULL) {
			continue;
		}
		char *word = colon + 1;
		while (*word == ' ') {
			word++;
		}
		char *index_end = strchr(word, ':');
		if (index_end != NULL && index_end - word < 4) {
			word = index_end + 1;
		}
		size_t word_len = strcspn(word, " \t");
		if (word_len == 0 || word_len > 64 || memchr(word, '/', word_len) == NULL) {
			continue;
		}
		/* "tl/device.N": N is the lane's path index, not part of the device's name. */
		size_t name_len = word_len;
		while (name_len > 0 && word[name_len - 1] >= '0' && word[name_len - 1] <= '9') {
			name_len--;
		}
		if (name_len > 0 && name_len < word_len && word[name_len - 1] == '.') {
			word_len = name_len - 1;
		}
		char item[72];
		snprintf(item, sizeof(item), "%.*s", (int)word_len, word);
		if (strstr(out, item) != NULL) {
			continue;
		}
		int wrote = snprintf(out + used, out_len - used, "%s%s", used > 0 ? ", " : "", item);
		if (wrote < 0 || (size_t)wrote >= out_len - used) {
			break;
		}
		used += (size_t)wrote;
	}
	free(text);
}

int ucx_set_am_handlers(const struct ucx_api *api, ucp_worker_h worker, const struct ucx_am_handler *handlers,
			size_t count, void *arg)
{
	for (size_t i = 0; i < count; i++) {
		ucp_am_handler_param_t param = {
			.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB |
				      UCP_AM_HANDLER_PARAM_FIELD_ARG,
			.id = handlers[i].id,
			.cb = handlers[i].cb,
			.arg = arg,
		};
		ucs_status_t status = api->worker_set_am_recv_handler(worker, &param);
		if (status != UCS_OK) {
			return ucx_errno(status);
		}
	}
	return 0;
}

int ucx_send_am(const struct ucx_api *api, ucp_worker_h worker, ucp_ep_h ep, unsigned id, const void *header,
		size_t header_length, const void *data, size_t data_length, uint32_t flags)
{
	ucp_request_param_t param = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = flags };
	ucs_status_ptr_t request = api->am_send_nbx(ep, id, header, header_length, data, data_length, &param);
	if (request == NULL) {
		return 0;
	}
	if (UCS_PTR_IS_ERR(request)) {
		return ucx_errno(UCS_PTR_STATUS(request));
	}
	ucs_status_t status;
	while ((status = api->request_check_status(request)) == UCS_INPROGRESS) {
		api->worker_progress(worker);
	}
	api->request_free(request);
	return ucx_errno(status);
}

uint64_t ucx_now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

uint64_t ucx_now_ms(void)
{
	/* The coarse clock: read on every turn of a progress loop, and every bound it serves is
	 * milliseconds to seconds, far above its resolution (a scheduler tick). */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}
#endif /* DMAHOST_UCX_HEADERS */
