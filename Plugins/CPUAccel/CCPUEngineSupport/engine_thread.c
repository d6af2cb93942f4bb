/*
 * DMAHost — which copy engine the calling thread works for (see dmahost_engine_thread.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "dmahost_engine_thread.h"

/* initial-exec: one load from the thread pointer, no __tls_get_addr call per submission (the
   plugin is dlopen'ed; a pointer fits the static TLS the dynamic linker keeps for that). */
__thread const void *dmahost_engine_thread_current __attribute__((tls_model("initial-exec")));

void dmahost_engine_thread_set(const void *engine) { dmahost_engine_thread_current = engine; }
