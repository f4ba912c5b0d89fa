/* Connection limits for a public service (server/limits.c). */
#ifndef KGREC_SERVER_LIMITS_H
#define KGREC_SERVER_LIMITS_H

#include <stddef.h>
#include <sys/socket.h>

struct MHD_Connection;
typedef struct kgr__limits kgr__limits;

/** Start tracking (a watcher thread). max_conns is the daemon's connection limit; per_ip,
 *  header_s and min_rate are the options (0: defaults). 0 or KGR_ENOMEM. */
int kgr__limits_new(kgr__limits **out, unsigned int max_conns, unsigned int per_ip,
	unsigned int header_s, unsigned int min_rate);
/** Stop the watcher and free. Accepts NULL. Call after the daemon has stopped. */
void kgr__limits_free(kgr__limits *l);

/** MHD accept policy: MHD_YES (1) or MHD_NO (0) for a new connection from addr. */
int kgr__limits_accept(kgr__limits *l, const struct sockaddr *addr, socklen_t len);
/** MHD connection notification: started (1) or closed (0). */
void kgr__limits_connection(kgr__limits *l, struct MHD_Connection *conn, void **socket_context, int started);
/** A request's headers are in; its body (if any) follows. */
void kgr__limits_headers_done(kgr__limits *l, struct MHD_Connection *conn);
/** n more body bytes arrived. */
void kgr__limits_body(kgr__limits *l, struct MHD_Connection *conn, size_t n);
/** The body is complete: the request is being answered (no deadline). */
void kgr__limits_body_done(kgr__limits *l, struct MHD_Connection *conn);
/** The reply is sent: on keep-alive the connection waits for its next request's headers. */
void kgr__limits_request_done(kgr__limits *l, struct MHD_Connection *conn);

#endif
