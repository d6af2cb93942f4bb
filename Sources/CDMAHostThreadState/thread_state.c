/*
 * DMAHost — the per-thread completion-slot state (see include/dmahost_thread_state.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "dmahost_thread_state.h"

_Thread_local void *dmahost_thread_submitting_slot;
_Thread_local void *dmahost_thread_delivering_slot;
