/* The thread-local "plugin being called" of the driver host (see dmahost_plugin_call.h). */
#include <stddef.h>

#include "dmahost_plugin_call.h"

static _Thread_local void *current_plugin = NULL;

void *dmahost_current_plugin(void)
{
	return current_plugin;
}

void *dmahost_set_current_plugin(void *plugin)
{
	void *previous = current_plugin;
	current_plugin = plugin;
	return previous;
}
