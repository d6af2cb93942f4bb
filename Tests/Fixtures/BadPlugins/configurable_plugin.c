/*
 * A deliberately configurable plugin for the loader's rejection tests
 * (Tests/DriverHostTests). Each -D option below breaks one rule of dmahost/driver.h;
 * with none, it is a valid vendor plugin named "fixture" with one device "fixture:0"
 * whose domain supports nothing (the tests only load, probe and open it). Its state is one
 * static table per image, as in many C plugins: fini marks it finished, after which pull and
 * push (COPY_CALLBACKS) fail with -ESHUTDOWN.
 *
 *   -DPLUGIN_NAME='"x"'        driver name (default "fixture")
 *   -DNULL_NAME / -DNULL_VERSION / -DBAD_UTF8_NAME / -DBAD_UTF8_VERSION
 *   -DBAD_UTF8_DEVICE_ID / -DBAD_UTF8_DESCRIPTION / -DNULL_DEVICE_ID
 *   -DNO_ENTRY                 export no dmahost_driver_entry
 *   -DRETURN_NULL              entry returns NULL (after logging why)
 *   -DABI_MAJOR=n              ops.abi_major (default DMAHOST_DRIVER_ABI_MAJOR)
 *   -DOPS_SIZE=n               ops.size (default sizeof(struct dmahost_driver_ops))
 *   -DDECLARED_TYPE=n          the one declared device type (default 1500)
 *   -DDEVICE_TYPE=n            type of the devices (default DECLARED_TYPE)
 *   -DDEVICE_ID0='"id"'        id of device 0 (default PLUGIN_NAME ":0")
 *   -DDEVICE_ID1='"id"'        adds a second device with this id
 *   -DINFO_SIZE=n              info.size (default sizeof(struct dmahost_device_info))
 *   -DNULL_PROBE / -DNULL_OPEN / -DNULL_TYPES
 *   -DCOUNT_WITHOUT_ARRAY      probe reports 3 devices and a NULL array
 *   -DPROBE_FAILS              probe returns -EIO with a reason
 *   -DUSE_MISSING_SYMBOL       calls an undefined function (dlopen RTLD_NOW fails)
 *   -DUSE_SDK                  calls vendor_sdk_version() from libvendorsdk.so (link it)
 *   -DCREATE_FOREIGN_DOMAIN    open first asks the host for a domain of a device it did
 *                              not report; open fails with -EPROTO if the host accepts
 *   -DCOPY_CALLBACKS           the domain gets pull and push (no transfer, no translate), both
 *                              completing before they return
 *   -DFAULTY_COPY              as COPY_CALLBACKS, but push flips bit 0 of the first byte it writes
 *
 * Careless statuses and completions (each implies COPY_CALLBACKS):
 *   -DPROBE_RC=n               probe returns n (with a reason) and no devices
 *   -DOPEN_RC=n                open returns n without creating a domain
 *   -DDIAGNOSE_RC=n            the driver has a diagnose that reports one check and returns n
 *   -DCOMPLETION_RC=n          completions report n instead of 0
 *   -DCOMPLETE_TWICE           completions are called twice before the callback returns
 *   -DCOMPLETE_THEN_FAIL       the completion is called, then the callback returns -EIO
 *   -DCOMPLETE_AFTER_FAIL      the callback returns -EBUSY; a thread calls the completion 20 ms later
 *   -DNEVER_COMPLETE           the callback returns 0 and never calls the completion
 *   -DCOMPLETE_LATE_MS=n       the callback returns 0; a thread calls the completion n ms later
 *   -DBAD_TRANSLATION          the domain translates to system memory with a result at address 0x10
 *   -DTRANSLATION_IOVS_NULL    the domain translates into 3 entries with a NULL iovs array
 * Domains that are not the plugin's own:
 *   -DOPEN_NO_DOMAIN           open returns 0 without creating a domain
 *   -DDOMAIN_ID='"id"'         id of the domain open creates (default: the device id)
 *   -DHIJACK='"id"'            open, after creating its domain, looks up the domain with this id
 *                              through the host table, sets its push callback (to one that returns
 *                              -EOWNERDEAD) and destroys it
 *   -DPREFIXES='"p"'           declares one domain id prefix (ops.domain_id_prefixes, ABI 1.1)
 *   -DCONFIG_NAME='"N"'        declares one configuration variable named N (ABI 1.2), default "1"
 *   -DCONFIG_TWICE             declares it twice (with CONFIG_NAME)
 *   -DCONFIG_RECORD_SIZE=n     its records declare size n (default sizeof(struct dmahost_config_variable))
 *   -DSET_FROM_THREAD          open starts a thread that, 20 ms later, clears the pull callback of
 *                              the plugin's own domain (outside any call from the host)
 * Plugins that kill or block their host:
 *   -DCRASH_IN_PROBE           probe writes to address 0x10 (SIGSEGV)
 *   -DHANG_IN_PROBE            probe never returns
 *   -DLOAD_MARKER='"path"'     a constructor creates this file when the library is mapped (before
 *                              any entry call): a test that must not load the plugin checks it is absent
 */
#define _POSIX_C_SOURCE 200809L /* open, O_CLOEXEC (LOAD_MARKER), threads and clocks */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dmahost/driver.h"

#if defined(SET_FROM_THREAD) && !defined(COPY_CALLBACKS)
#define COPY_CALLBACKS
#endif
#if defined(COMPLETION_RC) || defined(COMPLETE_TWICE) || defined(COMPLETE_THEN_FAIL) || defined(COMPLETE_AFTER_FAIL) \
	|| defined(NEVER_COMPLETE) || defined(COMPLETE_LATE_MS) || defined(BAD_TRANSLATION) || defined(TRANSLATION_IOVS_NULL)
#ifndef COPY_CALLBACKS
#define COPY_CALLBACKS
#endif
#endif
#ifndef COMPLETION_RC
#define COMPLETION_RC 0
#endif
#ifndef DOMAIN_ID
#define DOMAIN_ID device_id
#endif

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "fixture"
#endif
#ifndef ABI_MAJOR
#define ABI_MAJOR DMAHOST_DRIVER_ABI_MAJOR
#endif
#ifndef OPS_SIZE
#define OPS_SIZE sizeof(struct dmahost_driver_ops)
#endif
#ifndef DECLARED_TYPE
#define DECLARED_TYPE 1500
#endif
#ifndef DEVICE_TYPE
#define DEVICE_TYPE DECLARED_TYPE
#endif
#ifndef DEVICE_ID0
#define DEVICE_ID0 PLUGIN_NAME ":0"
#endif
#ifndef INFO_SIZE
#define INFO_SIZE sizeof(struct dmahost_device_info)
#endif

#if defined(USE_MISSING_SYMBOL)
extern int vendor_sdk_function_that_does_not_exist(void);
#endif

#if defined(LOAD_MARKER)
#include <fcntl.h>
#include <unistd.h>

/* Runs when the dynamic linker maps the library, before anything the host checks afterwards. */
__attribute__((constructor)) static void fixture_mapped(void)
{
	int fd = open(LOAD_MARKER, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
	}
}
#endif
#if defined(USE_SDK)
extern int vendor_sdk_version(void);
#endif

static const struct dmahost_host_api *g_host;
static struct dmahost_driver_ops g_ops;
static int32_t g_types[1] = { DECLARED_TYPE };
static struct dmahost_device_info g_infos[2];
static struct spdk_memory_domain *g_domain;
static int g_finished;

static int fixture_probe(void *ctx, const struct dmahost_device_info **devices, uint32_t *count, char *err, size_t err_len)
{
	(void)ctx;
#if defined(CRASH_IN_PROBE)
	*(volatile int *)(uintptr_t)0x10 = 1;
#endif
#if defined(HANG_IN_PROBE)
	for (;;) {
		pause();
	}
#endif
#if defined(PROBE_RC)
	snprintf(err, err_len, "probe returns %d", (int)(PROBE_RC));
	*devices = NULL;
	*count = 0;
	return PROBE_RC;
#elif defined(PROBE_FAILS)
	snprintf(err, err_len, "simulated failure: firmware file fixture.bin not found");
	return -EIO;
#elif defined(COUNT_WITHOUT_ARRAY)
	(void)err; (void)err_len;
	*devices = NULL;
	*count = 3;
	return 0;
#else
	(void)err; (void)err_len;
	*devices = g_infos;
#ifdef DEVICE_ID1
	*count = 2;
#else
	*count = 1;
#endif
	return 0;
#endif
}

#if defined(FAULTY_COPY) || defined(COPY_CALLBACKS)
/* Copies src into dst (dst at least as long), walking both segmentations. */
static int copy_segments(struct iovec *dst, uint32_t dst_cnt, struct iovec *src, uint32_t src_cnt)
{
	uint32_t di = 0, si = 0;
	size_t doff = 0, soff = 0;
	while (si < src_cnt) {
		if (soff == src[si].iov_len) { si++; soff = 0; continue; }
		if (di == dst_cnt) { return -EINVAL; }
		if (doff == dst[di].iov_len) { di++; doff = 0; continue; }
		size_t n = src[si].iov_len - soff < dst[di].iov_len - doff ? src[si].iov_len - soff : dst[di].iov_len - doff;
		memcpy((char *)dst[di].iov_base + doff, (char *)src[si].iov_base + soff, n);
		soff += n;
		doff += n;
	}
	return 0;
}

#if defined(COMPLETE_AFTER_FAIL) || defined(COMPLETE_LATE_MS)
#ifndef COMPLETE_LATE_MS
#define COMPLETE_LATE_MS 20
#endif
/* A completion delivered later, from a thread of its own. */
struct late_completion {
	spdk_memory_domain_data_cpl_cb cb;
	void *cb_arg;
};

static void *complete_later(void *arg)
{
	struct late_completion late = *(struct late_completion *)arg;
	free(arg);
	struct timespec pause_for = { .tv_sec = (COMPLETE_LATE_MS) / 1000, .tv_nsec = ((COMPLETE_LATE_MS) % 1000) * 1000000L };
	nanosleep(&pause_for, NULL);
	late.cb(late.cb_arg, COMPLETION_RC);
	return NULL;
}

static void start_late_completion(spdk_memory_domain_data_cpl_cb cb, void *cb_arg)
{
	struct late_completion *late = malloc(sizeof(*late));
	pthread_t thread;
	if (late == NULL) {
		return;
	}
	late->cb = cb;
	late->cb_arg = cb_arg;
	if (pthread_create(&thread, NULL, complete_later, late) != 0) {
		free(late);
		return;
	}
	pthread_detach(thread);
}
#endif

/* What the copy callbacks do with their completion once the data moved (rc 0). */
static int finish(int rc, spdk_memory_domain_data_cpl_cb cb, void *cb_arg)
{
	if (rc != 0) {
		return rc;
	}
#if defined(NEVER_COMPLETE)
	(void)cb; (void)cb_arg;
	return 0;
#elif defined(COMPLETE_AFTER_FAIL)
	start_late_completion(cb, cb_arg);
	return -EBUSY;
#elif defined(COMPLETE_LATE_MS)
	start_late_completion(cb, cb_arg);
	return 0;
#else
	cb(cb_arg, COMPLETION_RC);
#if defined(COMPLETE_TWICE)
	cb(cb_arg, COMPLETION_RC);
#endif
#if defined(COMPLETE_THEN_FAIL)
	return -EIO;
#endif
	return 0;
#endif
}

static int fixture_pull(struct spdk_memory_domain *domain, void *ctx, struct iovec *src, uint32_t src_cnt,
			struct iovec *dst, uint32_t dst_cnt, spdk_memory_domain_data_cpl_cb cb, void *cb_arg)
{
	(void)domain; (void)ctx;
	if (g_finished) { return -ESHUTDOWN; }
	return finish(copy_segments(dst, dst_cnt, src, src_cnt), cb, cb_arg);
}

static int fixture_push(struct spdk_memory_domain *domain, void *ctx, struct iovec *dst, uint32_t dst_cnt,
			struct iovec *src, uint32_t src_cnt, spdk_memory_domain_data_cpl_cb cb, void *cb_arg)
{
	(void)domain; (void)ctx;
	if (g_finished) { return -ESHUTDOWN; }
	int rc = copy_segments(dst, dst_cnt, src, src_cnt);
#if defined(FAULTY_COPY)
	for (uint32_t i = 0; rc == 0 && i < dst_cnt; i++) {
		if (dst[i].iov_len > 0) { ((unsigned char *)dst[i].iov_base)[0] ^= 1; break; }
	}
#endif
	return finish(rc, cb, cb_arg);
}
#endif

#if defined(BAD_TRANSLATION) || defined(TRANSLATION_IOVS_NULL)
static int fixture_translate(struct spdk_memory_domain *src_domain, void *src_domain_ctx, struct spdk_memory_domain *dst_domain,
			     struct spdk_memory_domain_translation_ctx *dst_domain_ctx, void *addr, size_t len,
			     struct spdk_memory_domain_translation_result *result)
{
	(void)src_domain; (void)src_domain_ctx; (void)dst_domain_ctx; (void)addr;
	result->dst_domain = dst_domain;
#if defined(BAD_TRANSLATION)
	result->iov_count = 1;
	result->iov.iov_base = (void *)(uintptr_t)0x10;
	result->iov.iov_len = len;
#else
	result->iov_count = 3;
	result->iovs = NULL;
	(void)len;
#endif
	return 0;
}
#endif

#if defined(HIJACK)
static int hostile_push(struct spdk_memory_domain *domain, void *ctx, struct iovec *dst, uint32_t dst_cnt,
			struct iovec *src, uint32_t src_cnt, spdk_memory_domain_data_cpl_cb cb, void *cb_arg)
{
	(void)domain; (void)ctx; (void)dst; (void)dst_cnt; (void)src; (void)src_cnt; (void)cb; (void)cb_arg;
	return -EOWNERDEAD;
}
#endif

#if defined(SET_FROM_THREAD)
static void *clear_pull_later(void *arg)
{
	(void)arg;
	struct timespec pause_for = { .tv_sec = 0, .tv_nsec = 20 * 1000000L };
	nanosleep(&pause_for, NULL);
	g_host->spdk_memory_domain_set_pull(g_domain, NULL);
	return NULL;
}
#endif

#if defined(DIAGNOSE_RC)
static int fixture_diagnose(void *ctx, dmahost_diagnostic_fn emit, void *emit_arg)
{
	(void)ctx;
	emit(emit_arg, "fixture check", 1, "always passes");
	return DIAGNOSE_RC;
}
#endif

static int fixture_open(void *ctx, const char *device_id, char *err, size_t err_len)
{
	(void)ctx;
#if defined(CREATE_FOREIGN_DOMAIN)
	struct spdk_memory_domain *foreign = NULL;
	int foreign_rc = g_host->domain_create(g_host->host_ctx, "someone-else:0", &foreign,
					       (enum spdk_dma_device_type)DEVICE_TYPE, NULL, "someone-else:0");
	if (foreign_rc == 0) {
		snprintf(err, err_len, "the host accepted a domain for a device this plugin did not report");
		return -EPROTO;
	}
#endif
#if defined(OPEN_RC)
	snprintf(err, err_len, "open returns %d", (int)(OPEN_RC));
	return OPEN_RC;
#elif defined(OPEN_NO_DOMAIN)
	(void)device_id; (void)err; (void)err_len;
	return 0;
#else
	int rc = g_host->domain_create(g_host->host_ctx, device_id, &g_domain, (enum spdk_dma_device_type)DEVICE_TYPE,
				       NULL, DOMAIN_ID);
	if (rc != 0) {
		snprintf(err, err_len, "domain_create failed");
	}
#if defined(FAULTY_COPY) || defined(COPY_CALLBACKS)
	if (rc == 0) {
		g_host->spdk_memory_domain_set_pull(g_domain, fixture_pull);
		g_host->spdk_memory_domain_set_push(g_domain, fixture_push);
	}
#endif
#if defined(BAD_TRANSLATION) || defined(TRANSLATION_IOVS_NULL)
	if (rc == 0) {
		g_host->spdk_memory_domain_set_translation(g_domain, fixture_translate);
	}
#endif
#if defined(SET_FROM_THREAD)
	if (rc == 0) {
		pthread_t thread;
		if (pthread_create(&thread, NULL, clear_pull_later, NULL) == 0) {
			pthread_detach(thread);
		}
	}
#endif
#if defined(HIJACK)
	if (rc == 0) {
		struct spdk_memory_domain *victim = g_host->spdk_memory_domain_get_first(HIJACK);
		if (victim != NULL) {
			g_host->spdk_memory_domain_set_push(victim, hostile_push);
			g_host->domain_destroy(g_host->host_ctx, victim);
		}
	}
#endif
	return rc;
#endif
}

static void fixture_close(void *ctx, const char *device_id)
{
	(void)ctx;
	(void)device_id;
	if (g_domain != NULL) {
		g_host->domain_destroy(g_host->host_ctx, g_domain);
		g_domain = NULL;
	}
}

static void fixture_fini(void *ctx)
{
	(void)ctx;
	g_finished = 1;
}

#if !defined(NO_ENTRY)
const struct dmahost_driver_ops *dmahost_driver_entry(const struct dmahost_host_api *host)
#else
const struct dmahost_driver_ops *not_the_entry(const struct dmahost_host_api *host);
const struct dmahost_driver_ops *not_the_entry(const struct dmahost_host_api *host)
#endif
{
	g_host = host;
#if defined(USE_MISSING_SYMBOL)
	if (vendor_sdk_function_that_does_not_exist() != 0) {
		return NULL;
	}
#endif
#if defined(USE_SDK)
	if (vendor_sdk_version() < 0) {
		return NULL;
	}
#endif
#if defined(RETURN_NULL)
	host->log(host->host_ctx, DMAHOST_LOG_ERROR, "fixture refuses to load (RETURN_NULL)");
	return NULL;
#endif
	g_infos[0] = (struct dmahost_device_info) {
		.size = INFO_SIZE, .id = DEVICE_ID0, .type = DEVICE_TYPE, .alignment = 1,
		.description = "fixture device", .capabilities = DMAHOST_CAP_COPY,
	};
#ifdef DEVICE_ID1
	g_infos[1] = g_infos[0];
	g_infos[1].id = DEVICE_ID1;
#endif
#if defined(BAD_UTF8_DEVICE_ID)
	g_infos[0].id = "fixture:\xff\xfe";
#endif
#if defined(NULL_DEVICE_ID)
	g_infos[0].id = NULL;
#endif
#if defined(BAD_UTF8_DESCRIPTION)
	g_infos[0].description = "bad \xc3\x28 text";
#endif
	g_ops = (struct dmahost_driver_ops) {
		.size = OPS_SIZE, .abi_major = ABI_MAJOR, .abi_minor = DMAHOST_DRIVER_ABI_MINOR,
		.name = PLUGIN_NAME, .version = "0.0.1",
		.device_types = g_types, .device_type_count = 1,
		.probe = fixture_probe, .open = fixture_open, .close = fixture_close, .fini = fixture_fini,
	};
#if defined(DIAGNOSE_RC)
	g_ops.diagnose = fixture_diagnose;
#endif
#if defined(PREFIXES)
	static const char *const prefixes[] = { PREFIXES, NULL };
	g_ops.domain_id_prefixes = prefixes;
#endif
#if defined(CONFIG_NAME)
#ifndef CONFIG_RECORD_SIZE
#define CONFIG_RECORD_SIZE sizeof(struct dmahost_config_variable)
#endif
	static const struct dmahost_config_variable variables[] = {
		{ .size = CONFIG_RECORD_SIZE, .name = CONFIG_NAME, .default_value = "1", .doc = "a fixture variable" },
		{ .size = CONFIG_RECORD_SIZE, .name = CONFIG_NAME, .default_value = NULL, .doc = "the same again" },
	};
	g_ops.config_variables = variables;
#if defined(CONFIG_TWICE)
	g_ops.config_variable_count = 2;
#else
	g_ops.config_variable_count = 1;
#endif
#endif
#if defined(NULL_NAME)
	g_ops.name = NULL;
#endif
#if defined(BAD_UTF8_NAME)
	g_ops.name = "fixture\xff";
#endif
#if defined(NULL_VERSION)
	g_ops.version = NULL;
#endif
#if defined(BAD_UTF8_VERSION)
	g_ops.version = "1.\xe2\x82";
#endif
#if defined(NULL_PROBE)
	g_ops.probe = NULL;
#endif
#if defined(NULL_OPEN)
	g_ops.open = NULL;
#endif
#if defined(NULL_TYPES)
	g_ops.device_types = NULL;
#endif
	return &g_ops;
}
