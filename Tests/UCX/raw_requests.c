/*
 * A client that speaks the UCX backend's protocol by hand (UCP directly, not the plugin), to
 * check what a server refuses on its own: a client that skips the plugin's checks must get the
 * same answers, and the region must not change. Built with cc against the UCX headers and
 * libucp by Tests/UCXTests/RawRequestTests.swift, and run against `dmactl serve`.
 *
 * Usage: raw_requests HOST PORT
 * Connects, reads REGION, then sends WRITE, READ and ZERO requests:
 *   - outside the region (below it, across its end, at address 0): -EFAULT;
 *   - a WRITE whose header length differs from its data, READ / ZERO of 0 bytes or of more than
 *     UCX_DATA_REQUEST_MAX_BYTES: -EINVAL;
 *   - a read-only region: WRITE and ZERO inside it: -EACCES, READ: 0;
 *   - a read-write region: a WRITE and a READ inside it move the bytes exactly, a ZERO zeroes them.
 * Around the refused requests it reads the region's first and last bytes (READ inside it) and
 * checks they did not change.
 * Prints one line per step ("ok: ..." or "FAIL: ..."). Exit status: 0 every step passed,
 * 1 a step failed, 2 usage or setup (no connection, no REGION).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ucp/api/ucp.h>

#include "ucx_protocol.h"

#define PROBE_BYTES 4096u

static ucp_worker_h g_worker;
static ucp_ep_h g_ep;
static bool g_ep_failed;
static bool g_have_region;
static struct ucx_msg_region g_region;
static uint64_t g_next_id = 1;
static int g_failures;

/* The last answer: its id, status and (eager) data. */
static struct {
	bool arrived;
	unsigned am_id;
	uint64_t id;
	int64_t status;
	size_t data_length;
	unsigned char data[PROBE_BYTES];
} g_answer;

static uint64_t now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static void step(bool ok, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void step(bool ok, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	printf("%s: ", ok ? "ok" : "FAIL");
	vprintf(format, args);
	printf("\n");
	va_end(args);
	if (!ok) {
		g_failures++;
	}
}

static void on_error(void *arg, ucp_ep_h ep, ucs_status_t status)
{
	(void)arg;
	(void)ep;
	(void)status;
	g_ep_failed = true;
}

static ucs_status_t on_region(void *arg, const void *header, size_t header_length, void *data, size_t length,
			      const ucp_am_recv_param_t *param)
{
	(void)arg;
	(void)data;
	(void)length;
	(void)param;
	if (header_length >= sizeof(g_region)) {
		memcpy(&g_region, header, sizeof(g_region));
		g_have_region = true;
	}
	return UCS_OK;
}

static ucs_status_t on_answer(void *arg, const void *header, size_t header_length, void *data, size_t length,
			      const ucp_am_recv_param_t *param)
{
	struct ucx_msg_data_reply reply;
	if (header_length != sizeof(reply)) {
		return UCS_OK;
	}
	memcpy(&reply, header, sizeof(reply));
	g_answer.arrived = true;
	g_answer.am_id = (unsigned)(uintptr_t)arg;
	g_answer.id = reply.id;
	g_answer.status = reply.status;
	g_answer.data_length = length;
	if (!(param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) && length <= sizeof(g_answer.data)) {
		memcpy(g_answer.data, data, length);
	}
	return UCS_OK; /* rendezvous data (none expected) is dropped */
}

static bool wait_request(ucs_status_ptr_t request)
{
	if (request == NULL) {
		return true;
	}
	if (UCS_PTR_IS_ERR(request)) {
		return false;
	}
	ucs_status_t status;
	uint64_t deadline = now_ms() + 5000;
	while ((status = ucp_request_check_status(request)) == UCS_INPROGRESS && now_ms() < deadline) {
		ucp_worker_progress(g_worker);
	}
	ucp_request_free(request);
	return status == UCS_OK;
}

/*
 * Sends one data request (\b data_length bytes of \b data; the header says \b length) and waits
 * for its answer. Returns the answer's status, or 1 when none came (or it was not ours).
 */
static int64_t request(unsigned am_id, uint64_t address, uint64_t length, const void *data, size_t data_length)
{
	struct ucx_msg_data_request header = { .id = g_next_id++, .address = address, .length = length };
	ucp_request_param_t param = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = UCP_AM_SEND_FLAG_REPLY };
	memset(&g_answer, 0, sizeof(g_answer));
	if (!wait_request(ucp_am_send_nbx(g_ep, am_id, &header, sizeof(header), data, data_length, &param))) {
		return 1;
	}
	uint64_t deadline = now_ms() + 5000;
	while (!g_answer.arrived && !g_ep_failed && now_ms() < deadline) {
		ucp_worker_progress(g_worker);
	}
	unsigned expected = am_id == UCX_AM_WRITE ? UCX_AM_WRITE_REPLY : am_id == UCX_AM_READ ? UCX_AM_READ_REPLY
											 : UCX_AM_ZERO_REPLY;
	if (!g_answer.arrived || g_answer.id != header.id || g_answer.am_id != expected) {
		return 1;
	}
	return g_answer.status;
}

/* Reads \b length bytes at \b address into \b out; false when the server did not answer 0 with them. */
static bool read_bytes(uint64_t address, size_t length, unsigned char *out)
{
	int64_t status = request(UCX_AM_READ, address, length, NULL, 0);
	if (status != 0 || g_answer.data_length != length) {
		return false;
	}
	memcpy(out, g_answer.data, length);
	return true;
}

static void expect_status(const char *what, unsigned am_id, uint64_t address, uint64_t length, const void *data,
			  size_t data_length, int64_t expected)
{
	int64_t status = request(am_id, address, length, data, data_length);
	step(status == expected, "%s: answer %lld (expected %lld)", what, (long long)status, (long long)expected);
}

static int connect_to(const char *host, const char *port_text)
{
	ucp_params_t params = { .field_mask = UCP_PARAM_FIELD_FEATURES, .features = UCP_FEATURE_AM };
	ucp_context_h context;
	if (ucp_init(&params, NULL, &context) != UCS_OK) {
		return -1;
	}
	ucp_worker_params_t worker_params = { .field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE,
					      .thread_mode = UCS_THREAD_MODE_SINGLE };
	if (ucp_worker_create(context, &worker_params, &g_worker) != UCS_OK) {
		return -1;
	}
	ucp_am_handler_param_t handler = {
		.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB | UCP_AM_HANDLER_PARAM_FIELD_ARG,
		.id = UCX_AM_REGION,
		.cb = on_region,
	};
	(void)ucp_worker_set_am_recv_handler(g_worker, &handler);
	const unsigned answers[] = { UCX_AM_WRITE_REPLY, UCX_AM_READ_REPLY, UCX_AM_ZERO_REPLY };
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		handler.id = answers[i];
		handler.cb = on_answer;
		handler.arg = (void *)(uintptr_t)answers[i];
		(void)ucp_worker_set_am_recv_handler(g_worker, &handler);
	}
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port_text)) };
	if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
		return -1;
	}
	ucp_ep_params_t ep_params = {
		.field_mask = UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR | UCP_EP_PARAM_FIELD_ERR_HANDLER |
			      UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE,
		.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER,
		.sockaddr = { .addr = (const struct sockaddr *)&address, .addrlen = sizeof(address) },
		.err_mode = UCP_ERR_HANDLING_MODE_PEER,
		.err_handler = { .cb = on_error },
	};
	if (ucp_ep_create(g_worker, &ep_params, &g_ep) != UCS_OK) {
		return -1;
	}
	uint64_t deadline = now_ms() + 5000;
	while (!g_have_region && !g_ep_failed && now_ms() < deadline) {
		ucp_worker_progress(g_worker);
	}
	return g_have_region && g_region.magic == UCX_REGION_MAGIC && g_region.version == UCX_PROTOCOL_VERSION ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: raw_requests HOST PORT\n");
		return 2;
	}
	if (connect_to(argv[1], argv[2]) != 0) {
		fprintf(stderr, "no connection to %s:%s, or no REGION of protocol version %u\n", argv[1], argv[2],
			UCX_PROTOCOL_VERSION);
		return 2;
	}
	const uint64_t base = g_region.base, length = g_region.length, end = base + length;
	const bool read_only = (g_region.flags & 1u) != 0;
	printf("region: base 0x%llx, %llu bytes, %s\n", (unsigned long long)base, (unsigned long long)length,
	       read_only ? "read-only" : "read-write");
	if (length < 2 * PROBE_BYTES) {
		fprintf(stderr, "the region is too small for the checks\n");
		return 2;
	}
	static unsigned char pattern[PROBE_BYTES], head[PROBE_BYTES], tail[PROBE_BYTES], again[PROBE_BYTES];
	for (size_t i = 0; i < sizeof(pattern); i++) {
		pattern[i] = (unsigned char)(i * 7 + 3);
	}
	if (!read_only) {
		expect_status("WRITE inside the region", UCX_AM_WRITE, base, PROBE_BYTES, pattern, PROBE_BYTES, 0);
		expect_status("WRITE of the region's last bytes", UCX_AM_WRITE, end - PROBE_BYTES, PROBE_BYTES, pattern,
			      PROBE_BYTES, 0);
	}
	bool read = read_bytes(base, PROBE_BYTES, head) && read_bytes(end - PROBE_BYTES, PROBE_BYTES, tail);
	step(read, "READ of the region's first and last %u bytes", PROBE_BYTES);
	if (!read_only) {
		step(memcmp(head, pattern, PROBE_BYTES) == 0 && memcmp(tail, pattern, PROBE_BYTES) == 0,
		     "the bytes read are the bytes written");
	}

	/* Outside the region. */
	expect_status("WRITE below the region", UCX_AM_WRITE, base - PROBE_BYTES, PROBE_BYTES, pattern, PROBE_BYTES, -EFAULT);
	expect_status("WRITE across the region's end", UCX_AM_WRITE, end - 16, 32, pattern, 32, -EFAULT);
	expect_status("WRITE at address 0x1000", UCX_AM_WRITE, 0x1000, 64, pattern, 64, -EFAULT);
	expect_status("WRITE where address + length wraps around", UCX_AM_WRITE, UINT64_MAX - 15, 32, pattern, 32, -EFAULT);
	expect_status("READ across the region's end", UCX_AM_READ, end - 16, 32, NULL, 0, -EFAULT);
	expect_status("READ below the region", UCX_AM_READ, base - 64, 64, NULL, 0, -EFAULT);
	expect_status("ZERO across the region's end", UCX_AM_ZERO, end - 16, 32, NULL, 0, -EFAULT);
	expect_status("ZERO below the region", UCX_AM_ZERO, base - PROBE_BYTES, PROBE_BYTES, NULL, 0, -EFAULT);

	/* Inconsistent lengths. */
	expect_status("WRITE whose header says 128 bytes and carries 64", UCX_AM_WRITE, base, 128, pattern, 64, -EINVAL);
	expect_status("WRITE whose header says 0 bytes and carries 64", UCX_AM_WRITE, base, 0, pattern, 64, -EINVAL);
	expect_status("READ of 0 bytes", UCX_AM_READ, base, 0, NULL, 0, -EINVAL);
	expect_status("READ of more than the request limit", UCX_AM_READ, base, (uint64_t)UCX_DATA_REQUEST_MAX_BYTES + 1,
		      NULL, 0, -EINVAL);
	expect_status("ZERO of more than the request limit", UCX_AM_ZERO, base, (uint64_t)UCX_DATA_REQUEST_MAX_BYTES + 1,
		      NULL, 0, -EINVAL);

	if (read_only) {
		expect_status("WRITE into the read-only region", UCX_AM_WRITE, base, PROBE_BYTES, pattern, PROBE_BYTES, -EACCES);
		expect_status("ZERO of the read-only region", UCX_AM_ZERO, base, PROBE_BYTES, NULL, 0, -EACCES);
	}

	bool unchanged = read_bytes(base, PROBE_BYTES, again) && memcmp(again, head, PROBE_BYTES) == 0 &&
			 read_bytes(end - PROBE_BYTES, PROBE_BYTES, again) && memcmp(again, tail, PROBE_BYTES) == 0;
	step(unchanged, "the region's first and last %u bytes are unchanged after the refused requests", PROBE_BYTES);

	if (!read_only) {
		expect_status("ZERO inside the region", UCX_AM_ZERO, base, PROBE_BYTES, NULL, 0, 0);
		static const unsigned char zeros[PROBE_BYTES];
		step(read_bytes(base, PROBE_BYTES, again) && memcmp(again, zeros, PROBE_BYTES) == 0, "ZERO zeroed its range");
	}
	step(!g_ep_failed, "the connection is still up");
	return g_failures == 0 ? 0 : 1;
}
