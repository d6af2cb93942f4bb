/*
 * DMAHost — internal helper of the DriverHost target (not installed, not ABI).
 */
#ifndef DMAHOST_PLUGIN_CALL_H
#define DMAHOST_PLUGIN_CALL_H

#pragma clang diagnostic ignored "-Wnullability-completeness"

/**
 * The plugin the calling thread is inside a call to (the host's `PluginContext` of that
 * plugin, opaque here), or NULL when the host is not calling a plugin on this thread.
 * A C11 `_Thread_local` variable: one value per thread, no locking.
 */
void *dmahost_current_plugin(void);

/**
 * Sets the calling thread's current plugin and returns the previous one (restore it when the
 * call into the plugin returns: calls may nest, e.g. a plugin's open that calls the host).
 */
void *dmahost_set_current_plugin(void *plugin);

#endif /* DMAHOST_PLUGIN_CALL_H */
