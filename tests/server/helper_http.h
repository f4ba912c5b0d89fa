#ifndef KGREC_TEST_HELPER_HTTP_H
#define KGREC_TEST_HELPER_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
	pid_t pid;
	int port;
	int errfd;
	char base[64];
	char err[16384];
	size_t err_len;
} th_server;

typedef struct {
	int status; /* HTTP status, or -CURLcode */
	char *body;
	size_t len;
	char content_type[128];
	char request_id[80];
	char truncated[16]; /* KGrec-Result-Truncated, "" when absent */
	char limit[32];     /* KGrec-Result-Limit, "" when absent */
} th_resp;

char *th_tmpdir(void);
char *th_path(const char *dir, const char *name);
void th_rmdir(const char *dir);
void th_build_store(const char *out, int extra);
void th_write_file(const char *path, const char *text);

/* Start `kgrec serve STORE --listen 127.0.0.1:0 ARGS... NULL`; 0 when it listens, else the
 * child's exit status (its stderr is in s->err). */
int th_serve(th_server *s, const char *store, ...);
int th_stop(th_server *s, int sig);
const char *th_drain_stderr(th_server *s);
int64_t th_now_ms(void);

/* One more request header for the following th_http() calls ("Name: value"), or NULL. */
extern const char *th_extra_header;

int th_http(th_resp *r, const char *method, const char *url, const char *body,
	const char *content_type, const char *token, const char *accept);
int th_get(th_resp *r, const th_server *s, const char *path, const char *token);
int th_post(th_resp *r, const th_server *s, const char *path, const char *body, const char *token);
void th_resp_free(th_resp *r);
char *th_url(const th_server *s, const char *path);
char *th_escape(const char *s);

#endif
