/*
 * DMAHost — internal: what the calling thread is doing with completion tokens, for the
 * host's completion slots (Sources/DMAHost/Completion). Not installed, not part of any ABI.
 *
 * A target of its own, linked only into the host: plugins link DMASync into themselves, and
 * thread-local variables there would take space in every plugin (dlopen refuses a library
 * whose initial-exec thread-locals no longer fit the static TLS block). These use the default
 * model: an executable that links the host reaches them with one load from the thread
 * pointer; libDMAHost.so through the dynamic TLS.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef DMAHOST_THREAD_STATE_H
#define DMAHOST_THREAD_STATE_H

#ifdef __cplusplus
extern "C" {
#endif

/** The completion slot whose submitting call the calling thread is in, or NULL. */
extern _Thread_local void *dmahost_thread_submitting_slot;

/** The completion slot whose handler the calling thread runs, or NULL. */
extern _Thread_local void *dmahost_thread_delivering_slot;

/** Reads the calling thread's submitting slot. */
static inline void *dmahost_submitting_slot_get(void) {
	return dmahost_thread_submitting_slot;
}

/** Sets the calling thread's submitting slot (NULL: none). */
static inline void dmahost_submitting_slot_set(void *slot) {
	dmahost_thread_submitting_slot = slot;
}

/** Reads the calling thread's delivering slot. */
static inline void *dmahost_delivering_slot_get(void) {
	return dmahost_thread_delivering_slot;
}

/** Sets the calling thread's delivering slot (NULL: none). */
static inline void dmahost_delivering_slot_set(void *slot) {
	dmahost_thread_delivering_slot = slot;
}

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_THREAD_STATE_H */
