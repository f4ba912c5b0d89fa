#include "kg/internal.h"

#include <igraph.h>
#include <pthread.h>
#include <stdio.h>

/* igraph aborts the process on any error by default; a library must never do that.
 * The handler records igraph's message as ours and lets the call return its code. */
static void igraph_error_to_kgr(const char *reason, const char *file, int line, igraph_error_t err)
{
	kgr__error_set(err == IGRAPH_ENOMEM ? KGR_ENOMEM : KGR_ERROR, "igraph: %s (%s:%d)", reason,
		file, line);
	IGRAPH_FINALLY_FREE();
}

static void igraph_warning_quiet(const char *reason, const char *file, int line)
{
	(void)reason;
	(void)file;
	(void)line;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_once_fn(void)
{
	igraph_set_error_handler(igraph_error_to_kgr);
	igraph_set_warning_handler(igraph_warning_quiet);
	igraph_rng_seed(igraph_rng_default(), 42);
}

void kgr_init(void)
{
	pthread_once(&init_once, init_once_fn);
}
