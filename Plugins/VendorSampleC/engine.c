/*
 * DMAHost vendor sample (C) — the copy engine: worker thread, bounded queue, scatter-gather copy.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vs_engine.h"

/* Copies the bytes of src into dst, walking both segmentations at once. Both hold the same
 * number of bytes (dmahost_iov_check_copy, at submission). memmove: a caller may pass
 * overlapping segments. */
static void copy_segments(const struct iovec *dst, uint32_t dst_cnt, const struct iovec *src, uint32_t src_cnt)
{
	uint32_t di = 0, si = 0;
	size_t doff = 0, soff = 0;

	while (si < src_cnt && di < dst_cnt) {
		size_t src_left = src[si].iov_len - soff;
		size_t dst_left = dst[di].iov_len - doff;
		if (src_left == 0) {
			si++;
			soff = 0;
			continue;
		}
		if (dst_left == 0) {
			di++;
			doff = 0;
			continue;
		}
		size_t n = src_left < dst_left ? src_left : dst_left;
		memmove((char *)dst[di].iov_base + doff, (const char *)src[si].iov_base + soff, n);
		soff += n;
		doff += n;
	}
}

static void execute(const struct vs_request *request)
{
	if (request->src == NULL) {
		for (uint32_t i = 0; i < request->dst_cnt; i++) {
			if (request->dst[i].iov_len > 0) {
				memset(request->dst[i].iov_base, 0, request->dst[i].iov_len);
			}
		}
	} else {
		copy_segments(request->dst, request->dst_cnt, request->src, request->src_cnt);
	}
}

static void *worker_main(void *arg)
{
	struct vs_engine *engine = arg;

	pthread_mutex_lock(&engine->lock);
	for (;;) {
		while (engine->count == 0 && !engine->stopping) {
			pthread_cond_wait(&engine->wake, &engine->lock);
		}
		if (engine->count == 0) {
			break; /* stopping and drained */
		}
		struct vs_request request = engine->queue[engine->head];
		pthread_mutex_unlock(&engine->lock);

		execute(&request);
		free(request.dst);
		free(request.src);

		pthread_mutex_lock(&engine->lock);
		engine->head = (engine->head + 1) % VS_ENGINE_QUEUE_DEPTH;
		engine->count--;
		engine->completed++;
		pthread_mutex_unlock(&engine->lock);

		/* Outside the lock: the callback may submit the next request. */
		request.cpl_cb(request.cpl_cb_arg, 0);

		pthread_mutex_lock(&engine->lock);
	}
	pthread_mutex_unlock(&engine->lock);
	return NULL;
}

int vs_engine_init(struct vs_engine *engine)
{
	memset(engine, 0, sizeof(*engine));
	int rc = pthread_mutex_init(&engine->lock, NULL);
	if (rc != 0) {
		return -rc;
	}
	rc = pthread_cond_init(&engine->wake, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&engine->lock);
		return -rc;
	}
	return 0;
}

void vs_engine_destroy(struct vs_engine *engine)
{
	vs_engine_stop(engine);
	pthread_cond_destroy(&engine->wake);
	pthread_mutex_destroy(&engine->lock);
}

int vs_engine_start(struct vs_engine *engine)
{
	pthread_mutex_lock(&engine->lock);
	if (engine->running) {
		pthread_mutex_unlock(&engine->lock);
		return 0;
	}
	engine->running = 1;
	engine->stopping = 0;
	engine->head = 0;
	engine->count = 0;
	int rc = pthread_create(&engine->worker, NULL, worker_main, engine);
	if (rc != 0) {
		engine->running = 0;
	}
	pthread_mutex_unlock(&engine->lock);
	return -rc;
}

void vs_engine_stop(struct vs_engine *engine)
{
	pthread_mutex_lock(&engine->lock);
	if (!engine->running || engine->stopping) {
		pthread_mutex_unlock(&engine->lock);
		return;
	}
	engine->stopping = 1;
	pthread_cond_signal(&engine->wake);
	pthread_mutex_unlock(&engine->lock);

	pthread_join(engine->worker, NULL);

	pthread_mutex_lock(&engine->lock);
	engine->running = 0;
	engine->stopping = 0;
	pthread_mutex_unlock(&engine->lock);
}

static struct iovec *copy_iov(const struct iovec *iov, uint32_t cnt)
{
	struct iovec *copy = malloc((size_t)cnt * sizeof(*copy));
	if (copy != NULL) {
		memcpy(copy, iov, (size_t)cnt * sizeof(*copy));
	}
	return copy;
}

static int enqueue(struct vs_engine *engine, struct vs_request *request)
{
	int rc = 0;
	pthread_mutex_lock(&engine->lock);
	if (!engine->running || engine->stopping) {
		rc = -ECANCELED;
	} else if (engine->count == VS_ENGINE_QUEUE_DEPTH) {
		rc = -EAGAIN;
	} else {
		engine->queue[(engine->head + engine->count) % VS_ENGINE_QUEUE_DEPTH] = *request;
		engine->count++;
		pthread_cond_signal(&engine->wake);
	}
	pthread_mutex_unlock(&engine->lock);
	if (rc != 0) {
		free(request->dst);
		free(request->src);
	}
	return rc;
}

int vs_engine_submit_copy(struct vs_engine *engine, const struct iovec *dst, uint32_t dst_cnt,
			  const struct iovec *src, uint32_t src_cnt,
			  spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	struct vs_request request = {
		.dst = copy_iov(dst, dst_cnt), .dst_cnt = dst_cnt,
		.src = copy_iov(src, src_cnt), .src_cnt = src_cnt,
		.cpl_cb = cpl_cb, .cpl_cb_arg = cpl_cb_arg,
	};
	if (request.dst == NULL || request.src == NULL) {
		free(request.dst);
		free(request.src);
		return -ENOMEM;
	}
	return enqueue(engine, &request);
}

int vs_engine_submit_zero(struct vs_engine *engine, const struct iovec *iov, uint32_t iov_cnt,
			  spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg)
{
	struct vs_request request = {
		.dst = copy_iov(iov, iov_cnt), .dst_cnt = iov_cnt,
		.cpl_cb = cpl_cb, .cpl_cb_arg = cpl_cb_arg,
	};
	if (request.dst == NULL) {
		return -ENOMEM;
	}
	return enqueue(engine, &request);
}
