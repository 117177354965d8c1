/* libslotInt: what the blocking face (libslot_sync.c) needs from the core
 * (libslot.c) beyond the public API. Not installed. */
#ifndef LIBSLOT_INT_H
#define LIBSLOT_INT_H

#include "libslot.h"

/* Inside a completion callback only: takes ownership of the memory behind
 * the request's outputs (at most two blocks), which the core would
 * otherwise free when the callback returns. The caller frees each non-NULL
 * block with free(). */
void slotc__take_outputs(struct slotc *c, void *blocks[2]);

/* Keeps the client's connections referenced even when no request is
 * pending, so that running the loop (UV_RUN_NOWAIT) between requests
 * processes what arrived meanwhile (a node closing an idle connection).
 * The blocking face sets it: its loop runs only inside calls. */
void slotc__set_always_ref(struct slotc *c, bool on);

#endif /* LIBSLOT_INT_H */
