/*
 * DMAHost — which copy engine the calling thread works for.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * A thread-local word naming the copy engine whose worker the calling thread is (NULL on
 * every other thread). A submission made on a worker of the same engine (a completion
 * callback that resubmits) needs no wake-up: that worker looks at the ring again before it
 * sleeps.
 */

#ifndef DMAHOST_ENGINE_THREAD_H
#define DMAHOST_ENGINE_THREAD_H

#ifdef __cplusplus
extern "C" {
#endif

/** Records \b engine as the engine the calling thread works for (NULL: none). */
void dmahost_engine_thread_set(const void *engine);

/** The thread-local word itself (initial-exec TLS: one load from the thread pointer). Read it
 *  through dmahost_engine_thread_get(); write it only through dmahost_engine_thread_set(). */
extern __thread const void *dmahost_engine_thread_current __attribute__((tls_model("initial-exec")));

/** The engine the calling thread works for, or NULL. Inline: the submission path reads it for
 *  every operation. */
static inline const void *dmahost_engine_thread_get(void) { return dmahost_engine_thread_current; }

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_ENGINE_THREAD_H */
