/* POST /v1/events: validate a batch, log it durably, apply it to the graph view.
 *
 * Order matters: the batch is validated completely first (nothing is logged when one event
 * is bad), then, holding events_mu, appended to the log and fdatasync'd (and new users get
 * ids), then queued and applied under the graph's write lock, together with every batch
 * logged while the previous apply ran (group commit); the reply waits for its batch to be
 * applied, so the next request sees it. events_mu is also what a reload holds while it
 * replays the log, so an acknowledged event is either in the log the new state replays or
 * applied to the state that was live when it was logged: never lost between the two. */
#include "server/internal.h"
#include "util/json_print.h"
#include "kg/text_check.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BATCH 10000

/* Declared in server/internal.h. */
char *kgr__user_iri(const kgr_store *store, const char *text)
{
	size_t n = strlen(text), i;
	kgr_id id;
	char *iri;
	if (n >= 2 && text[0] == '<' && text[n - 1] == '>')
		return strndup(text + 1, n - 2);
	if (strstr(text, "://") || !strncmp(text, "urn:", 4))
		return strdup(text);
	iri = malloc(sizeof(KGR__USER_BASE) + n);
	if (!iri)
		return NULL;
	memcpy(iri, KGR__USER_BASE, sizeof(KGR__USER_BASE) - 1);
	memcpy(iri + sizeof(KGR__USER_BASE) - 1, text, n + 1);
	if (kgr_store_iri(store, iri) != 0)
		return iri;
	id = kgr_store_resolve(store, text);
	kgr_error_clear();
	if (id && kgr_term_kind_of(store, id) == KGR_TERM_IRI) {
		size_t ni;
		kgr_store_user_interactions(store, id, &ni);
		if (ni || strchr(text, ':')) {
			free(iri);
			return strdup(kgr_term_value(store, id, NULL));
		}
	}
	/* A new user: the local name must be usable in an IRI as is. */
	for (i = 0; i < n; i++) {
		char c = text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_' || c == '.' || c == '~')) {
			free(iri);
			return NULL;
		}
	}
	return iri;
}

static int intern_iri(kgr_store *store, const char *iri, kgr_id *out)
{
	if ((*out = kgr_store_iri(store, iri)) != 0)
		return 0;
	*out = kgr_store_intern_extra(store, iri);
	return *out ? 0 : kgr__error_set(KGR_ENOMEM, "out of memory");
}

/* Written as an IRI: <...>, with a scheme, or a URN. */
static int iri_form(const char *text)
{
	size_t n = strlen(text);
	return (n >= 2 && text[0] == '<' && text[n - 1] == '>') || strstr(text, "://") ||
		!strncmp(text, "urn:", 4);
}

/* Declared in server/internal.h. */
int kgr__event_item(const kgr_store *store, kgr__item_index **ix, const char *text, kgr_id *out)
{
	kgr__match_kind how;
	kgr_id id;
	int ambiguous = 0, code;

	*out = 0;
	id = kgr_store_resolve(store, text);
	code = kgr_error_last_code();
	kgr_error_clear();
	if (id && kgr_store_is_item(store, id)) {
		*out = id;
		return KGR__EVITEM_FOUND;
	}
	if (iri_form(text)) {
		*out = id;
		return id ? KGR__EVITEM_NOT_ITEM : KGR__EVITEM_NEW;
	}
	/* a local name that is not an item's, or that several resources share, may still be
	 * one product's name or code */
	if (!*ix && kgr__item_index_build(ix, store) < 0)
		return KGR_ENOMEM;
	if ((*out = kgr__item_index_find(*ix, store, text, NULL, &how, &ambiguous)) &&
		kgr_store_is_item(store, *out))
		return KGR__EVITEM_FOUND;
	if (ambiguous || (!id && code == KGR_EINVALID))
		return KGR__EVITEM_AMBIGUOUS;
	*out = id;
	return id ? KGR__EVITEM_NOT_ITEM : KGR__EVITEM_NEW;
}

int kgr__event_to_interaction(kgr_store *store, kgr__item_index **ix, const kgr__event *ev,
	kgr_interaction *out)
{
	int error;
	memset(out, 0, sizeof(*out));
	if (!ev->pending) {
		out->item = kgr_store_iri(store, ev->item);
	} else if ((error = kgr__event_item(store, ix, ev->item, &out->item)) != KGR__EVITEM_FOUND) {
		out->item = 0;
		if (error < 0)
			return kgr__error_set(KGR_ENOMEM, "out of memory (catalog item index)");
	}
	if (!out->item || !kgr_store_is_item(store, out->item))
		return kgr__error_set(KGR_ENOTFOUND, "unknown item <%s>", ev->item);
	out->action = kgr_store_iri(store, ev->action);
	if (!out->action)
		return kgr__error_set(KGR_ENOTFOUND, "unknown action <%s>", ev->action);
	if ((error = intern_iri(store, ev->user, &out->user)) < 0)
		return kgr__error_prefix("user <%s>", ev->user);
	out->time = ev->time;
	out->weight = (float)ev->weight;
	return 0;
}

static kgr_id resolve_action(const kgr_store *store, const kgr__action_map *map, const char *text,
	int *not_recorded);

/* Declared in server/internal.h. */
void kgr__event_from_names(const kgr_store *store, const kgr__action_map *map, const char *user,
	const char *item, const char *action, kgr__event *ev, char **user_owned, char *why, size_t size)
{
	kgr_id act;
	int not_recorded;
	*user_owned = NULL;
	why[0] = '\0';
	act = resolve_action(store, map, action, &not_recorded);
	if (!act) {
		snprintf(why, size, not_recorded ? "action '%.60s' is no interaction" :
			"unknown action '%.60s'", action);
		return;
	}
	if (!(*user_owned = kgr__user_iri(store, user)) ||
		kgr__iri_problem(*user_owned, strlen(*user_owned))) {
		snprintf(why, size, "user '%.60s' makes no IRI", user);
		free(*user_owned);
		*user_owned = NULL;
		return;
	}
	ev->user = *user_owned;
	ev->item = item;
	ev->action = kgr_term_value(store, act, NULL);
	ev->pending = 1; /* matched by name and code, like a request's item */
}

int kgr__event_in_snapshot(const kgr_store *store, const kgr_interaction *in)
{
	size_t n, i;
	const kgr_interaction *all = kgr_store_user_interactions(store, in->user, &n);
	for (i = 0; i < n; i++)
		if (all[i].item == in->item && all[i].time == in->time && all[i].action == in->action)
			return 1;
	return 0;
}

/* ---- request parsing ---- */

typedef struct {
	char *user, *item, *action; /* IRIs, owned */
	int64_t time;
	double weight;
	int not_recorded;           /* a valid event of an action that is no interaction (a refund) */
	int pending;                /* item as written: a product the snapshot does not have yet */
	/* as the client wrote them (borrowed from the request's JSON), for a shop's own events
	 * table, whose rows hold names: each replica matches them as this one did */
	const char *raw_user, *raw_item, *raw_action;
} parsed_event;

/* An event's time as the event logs write it: ISO-8601, or epoch seconds, milliseconds or
 * microseconds told apart by magnitude (kgr__parse_log_time); the reason in why when not. */
static int event_time(const char *text, int64_t *out, char *why, size_t size)
{
	return kgr__parse_log_time(text, strlen(text), KGR_TIME_UNIT_AUTO, out, why, size) == 0 ? 0 : -1;
}

static const char *const event_fields[] = { "user", "item", "action", "time", "weight", NULL };

/* An action as the loader takes it (kgr__action_resolve(): the operator's action map, then
 * the one table of names) or an IRI of the graph; 0 when it is neither. *not_recorded is set
 * for a name the table or the map accepts and does not record (a refund, "ignore"). */
static kgr_id resolve_action(const kgr_store *store, const kgr__action_map *map, const char *text,
	int *not_recorded)
{
	char buf[512];
	const char *a;
	kgr_id id;
	*not_recorded = 0;
	switch (kgr__action_resolve(map, text, &a)) {
	case KGR__ACTION_KNOWN:
		if (strchr(a, ':')) /* the map's IRI */
			return kgr_store_iri(store, a);
		snprintf(buf, sizeof(buf), "%s%s", KGR_NS, a);
		return kgr_store_iri(store, buf);
	case KGR__ACTION_NOT_RECORDED:
		*not_recorded = 1;
		return 0;
	default:
		break;
	}
	if (!strchr(text, ':'))
		return 0;
	id = kgr_store_resolve(store, text);
	kgr_error_clear();
	return id;
}

/* The longest item name kept for a product the snapshot does not have yet. */
#define MAX_PENDING_NAME 512

/* An event's item: a catalog item's IRI into pe->item, or, for a name or IRI the snapshot
 * does not have (a new SKU), the text as written with pe->pending set, unless the server
 * runs with strict_items. Non-zero after an error reply. */
static int parse_item(kgr_server *srv, kgr__state *st, const char *text, const char *where,
	parsed_event *pe, kgr__resp *resp)
{
	const char *iv = text, *why;
	size_t il = strlen(iv), i;
	kgr_id item;
	int kind;

	/* an item written as an IRI must be one before it is looked up */
	if (il >= 2 && iv[0] == '<' && iv[il - 1] == '>')
		iv++, il -= 2;
	if ((iv != text || strstr(text, "://")) && (why = kgr__iri_problem(iv, il)))
		return kgr__resp_error(resp, 400, "invalid_item", "%s.item: '%s' is not a valid IRI: %s",
			where, text, why);
	if ((kind = kgr__event_item(st->store, &st->items, text, &item)) < 0)
		return kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
	switch (kind) {
	case KGR__EVITEM_FOUND:
		pe->item = strdup(kgr_term_value(st->store, item, NULL));
		return pe->item ? 0 : kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
	case KGR__EVITEM_AMBIGUOUS:
		return kgr__resp_error(resp, 400, "ambiguous_item", "%s.item: '%s' names several "
			"catalog items (by local name, SKU, product id or GTIN); give the item's IRI",
			where, text);
	case KGR__EVITEM_NOT_ITEM:
		return kgr__resp_error(resp, 404, "unknown_item", "%s.item: '%s' is <%s>, which is not "
			"a catalog item", where, text, kgr_term_value(st->store, item, NULL));
	default:
		break;
	}
	if (srv->opts.strict_items)
		return kgr__resp_error(resp, 404, "unknown_item", "%s.item: unknown item '%s' (this "
			"server runs with --strict-items: events for products the snapshot lacks are "
			"refused)", where, text);
	if (il > MAX_PENDING_NAME)
		return kgr__resp_error(resp, 400, "invalid_item", "%s.item: an item the catalog does "
			"not have yet is named in at most %d bytes", where, MAX_PENDING_NAME);
	for (i = 0; i < il; i++)
		if ((unsigned char)iv[i] < 0x20 || iv[i] == 0x7f)
			return kgr__resp_error(resp, 400, "invalid_item", "%s.item: a control character "
				"at byte %zu", where, i);
	pe->item = strndup(iv, il);
	pe->pending = 1;
	return pe->item ? 0 : kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
}

/* Validate one event against the state (events_mu held). Fills @p pe or an error reply. */
static int parse_event(kgr_server *srv, kgr__state *st, const cJSON *e, size_t idx, int single,
	parsed_event *pe, kgr__resp *resp)
{
	char where[48];
	const cJSON *f, *u, *it, *a, *t, *w;
	const kgr_store *store = st->store;

	if (single)
		snprintf(where, sizeof(where), "event");
	else
		snprintf(where, sizeof(where), "events[%zu]", idx);
	if (!cJSON_IsObject(e))
		return kgr__resp_error(resp, 400, "invalid_event", "%s: expected an object "
			"{user, item, action, time, weight}", where);
	cJSON_ArrayForEach(f, e) {
		if (!kgr__name_in(f->string, event_fields))
			return kgr__resp_error(resp, 400, "unknown_field", "%s: unknown field '%s' "
				"(expected user, item, action, time, weight)", where, f->string);
	}
	u = cJSON_GetObjectItemCaseSensitive(e, "user");
	it = cJSON_GetObjectItemCaseSensitive(e, "item");
	a = cJSON_GetObjectItemCaseSensitive(e, "action");
	t = cJSON_GetObjectItemCaseSensitive(e, "time");
	w = cJSON_GetObjectItemCaseSensitive(e, "weight");
	if (!u || !cJSON_IsString(u) || !u->valuestring[0])
		return kgr__resp_error(resp, 400, u ? "wrong_type" : "missing_field",
			"%s.user: %s", where, u ? "expected a non-empty string" : "required");
	if (!it || !cJSON_IsString(it) || !it->valuestring[0])
		return kgr__resp_error(resp, 400, it ? "wrong_type" : "missing_field",
			"%s.item: %s", where, it ? "expected a non-empty string" : "required");
	if (a && (!cJSON_IsString(a) || !a->valuestring[0]))
		return kgr__resp_error(resp, 400, "wrong_type", "%s.action: expected a string such as "
			"\"view\", \"cart\" or \"purchase\"", where);
	if (w && (!cJSON_IsNumber(w) || !isfinite(w->valuedouble)))
		return kgr__resp_error(resp, 400, "wrong_type", "%s.weight: expected a number", where);

	pe->weight = w ? w->valuedouble : 1.0;
	{
		/* what a shop's events table cannot hold would be read otherwise by every other
		 * replica, or refused by the database */
		char why[200];
		const char *field = kgr__pg_unstorable(srv, u->valuestring, it->valuestring, pe->weight,
			why, sizeof(why));
		if (field)
			return kgr__resp_error(resp, 400, field[0] == 'w' ? "weight_not_stored" :
				field[0] == 'u' ? "invalid_user" : "invalid_item", "%s.%s: %s", where, field, why);
	}
	if (!t) {
		pe->time = (int64_t)time(NULL);
	} else if (cJSON_IsNumber(t)) {
		char num[32], why[320];
		if (t->valuedouble != floor(t->valuedouble) || fabs(t->valuedouble) > 9e15)
			return kgr__resp_error(resp, 400, "wrong_type", "%s.time: expected whole epoch seconds, "
				"milliseconds or microseconds, or an ISO-8601 date-time", where);
		snprintf(num, sizeof(num), "%.0f", t->valuedouble);
		if (event_time(num, &pe->time, why, sizeof(why)) < 0)
			return kgr__resp_error(resp, 400, "invalid_time", "%s.time: %s is %s", where, num, why);
	} else if (cJSON_IsString(t)) {
		char why[320];
		if (event_time(t->valuestring, &pe->time, why, sizeof(why)) < 0)
			return kgr__resp_error(resp, 400, "invalid_time", "%s.time: '%s' is %s (for example "
				"2024-05-01T10:00:00Z or 1714557600)", where, t->valuestring, why);
	} else {
		return kgr__resp_error(resp, 400, "wrong_type", "%s.time: expected a number or a string",
			where);
	}

	pe->raw_user = u->valuestring;
	pe->raw_item = it->valuestring;
	pe->raw_action = a ? a->valuestring : "interact";
	if (parse_item(srv, st, it->valuestring, where, pe, resp) != 0)
		return -1;
	{
		kgr_id act = resolve_action(store, srv->actions, a ? a->valuestring : "interact",
			&pe->not_recorded);
		if (!act && !pe->not_recorded) {
			kgr__buf names = { 0 };
			int status;
			kgr__action_names(&names);
			status = kgr__resp_error(resp, 400, "unknown_action", "%s.action: unknown action "
				"'%.80s'; accepted: %s (case, spaces, '_' and '-' aside), %san IRI of the graph",
				where, a->valuestring, names.s ? names.s : "", srv->actions ? "a name of the "
				"server's action map, or " : "or ");
			kgr__buf_free(&names);
			return status;
		}
		if (act)
			pe->action = strdup(kgr_term_value(store, act, NULL));
	}
	pe->user = kgr__user_iri(store, u->valuestring);
	if (!pe->user)
		return kgr__resp_error(resp, 400, "invalid_user", "%s.user: '%s' is neither an IRI, a "
			"known user nor a plain name (letters, digits, '-', '_', '.', '~')", where,
			u->valuestring);
	if (!pe->item || (!pe->action && !pe->not_recorded))
		return kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
	{
		const char *why = kgr__iri_problem(pe->user, strlen(pe->user));
		if (why)
			return kgr__resp_error(resp, 400, "invalid_user", "%s.user: '%s' is not a valid IRI: "
				"%s", where, u->valuestring, why);
	}
	return 0;
}

static void free_events(parsed_event *pe, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(pe[i].user);
		free(pe[i].item);
		free(pe[i].action);
	}
	free(pe);
}

static char *log_line(const parsed_event *pe, size_t n, uint64_t batch, size_t *len_out)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char *s, *line = NULL;
	size_t i, len;
	if (!root)
		return NULL;
	cJSON_AddNumberToObject(root, "batch", (double)batch);
	arr = cJSON_AddArrayToObject(root, "events");
	for (i = 0; arr && i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		if (!e)
			break;
		cJSON_AddItemToArray(arr, e);
		cJSON_AddStringToObject(e, "user", pe[i].user);
		cJSON_AddStringToObject(e, "item", pe[i].item);
		cJSON_AddStringToObject(e, "action", pe[i].action);
		cJSON_AddNumberToObject(e, "time", (double)pe[i].time);
		cJSON_AddNumberToObject(e, "weight", pe[i].weight);
		if (pe[i].pending)
			cJSON_AddTrueToObject(e, "pending");
	}
	s = kgr__json_print(root, NULL);
	cJSON_Delete(root);
	if (!s)
		return NULL;
	len = strlen(s);
	line = realloc(s, len + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	*len_out = len + 1;
	return line;
}

/* A logged batch waiting to be applied. */
typedef struct kgr__apply_job {
	kgr__state *st;
	const kgr_interaction *ins;
	size_t n;
	int done;
	int error;
	char msg[256];
	struct kgr__apply_job *next;
} kgr__apply_job;

/* Apply jobs[0..n) that are on state st (all of them, except across a reload) in one
 * kgr_graph_add_interactions() call; one at a time when the merged array cannot be had. */
static void apply_group(kgr_server *srv, kgr__state *st, kgr__apply_job **jobs, size_t n)
{
	kgr_interaction *all = NULL;
	size_t total = 0, i, at = 0, calls = 0;
	int error;
	for (i = 0; i < n; i++)
		if (jobs[i]->st == st)
			total += jobs[i]->n;
	pthread_rwlock_wrlock(&st->graph_lock);
	if (n > 1 && (all = malloc(total * sizeof(*all)))) {
		for (i = 0; i < n; i++)
			if (jobs[i]->st == st) {
				memcpy(all + at, jobs[i]->ins, jobs[i]->n * sizeof(*all));
				at += jobs[i]->n;
			}
		error = kgr_graph_add_interactions(st->graph, all, total);
		calls = 1;
		for (i = 0; i < n; i++)
			if (jobs[i]->st == st) {
				jobs[i]->error = error;
				if (error < 0)
					snprintf(jobs[i]->msg, sizeof(jobs[i]->msg), "%s", kgr_error_last());
			}
	} else {
		for (i = 0; i < n; i++) {
			if (jobs[i]->st != st)
				continue;
			calls++;
			if ((jobs[i]->error = kgr_graph_add_interactions(st->graph, jobs[i]->ins, jobs[i]->n)) < 0)
				snprintf(jobs[i]->msg, sizeof(jobs[i]->msg), "%s", kgr_error_last());
		}
	}
	pthread_rwlock_unlock(&st->graph_lock);
	atomic_fetch_add(&srv->metrics.event_applies, calls);
	free(all);
}

/* Queue a logged batch and return once it is applied. A waiting request that finds no
 * apply in progress takes everything queued so far (its own batch included) and applies it
 * in one call; the batches that arrive meanwhile are applied together by the next one. A
 * job is marked done only under apply_mu, and its owner returns only after that. */
static void apply_wait(kgr_server *srv, kgr__apply_job *job)
{
	pthread_mutex_lock(&srv->apply_mu);
	job->next = srv->apply_queue;
	srv->apply_queue = job;
	while (!job->done) {
		kgr__apply_job *list, *j, *stack_jobs[64], **jobs;
		size_t n = 0, i, k;
		if (srv->applying) {
			pthread_cond_wait(&srv->apply_cv, &srv->apply_mu);
			continue;
		}
		list = srv->apply_queue;
		srv->apply_queue = NULL;
		srv->applying = 1;
		pthread_mutex_unlock(&srv->apply_mu);
		for (j = list; j; j = j->next)
			n++;
		jobs = n <= 64 ? stack_jobs : malloc(n * sizeof(*jobs));
		if (jobs) {
			/* the queue is newest first: apply in arrival order */
			for (j = list, i = n; j; j = j->next)
				jobs[--i] = j;
			for (i = 0; i < n; i++) {
				for (k = 0; k < i && jobs[k]->st != jobs[i]->st; k++)
					;
				if (k == i) /* first job on this state */
					apply_group(srv, jobs[i]->st, jobs + i, n - i);
			}
			if (jobs != stack_jobs)
				free(jobs);
		} else {
			for (j = list; j; j = j->next)
				apply_group(srv, j->st, &j, 1);
		}
		pthread_mutex_lock(&srv->apply_mu);
		for (j = list; j; j = j->next)
			j->done = 1;
		srv->applying = 0;
		pthread_cond_broadcast(&srv->apply_cv);
	}
	pthread_mutex_unlock(&srv->apply_mu);
}

/* The events of a body: an array of events, {"events": [...]} (nothing else beside it), or
 * one event object (*single set); NULL after a 400 naming what is wrong. */
static const cJSON *batch_of(const cJSON *root, int *single, kgr__resp *resp)
{
	const cJSON *list, *e;
	*single = 0;
	if (cJSON_IsArray(root)) {
		list = root;
	} else if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "events")) {
		cJSON_ArrayForEach(e, root) {
			if (strcmp(e->string, "events")) {
				kgr__resp_error(resp, 400, "unknown_field", "unknown field '%s' next to "
					"'events'", e->string);
				return NULL;
			}
		}
		list = cJSON_GetObjectItemCaseSensitive(root, "events");
		if (!cJSON_IsArray(list)) {
			kgr__resp_error(resp, 400, "wrong_type", "events: expected an array of events");
			return NULL;
		}
	} else if (cJSON_IsObject(root)) {
		list = root;
		*single = 1;
	} else {
		kgr__resp_error(resp, 400, "wrong_type", "expected an event object, an array of events "
			"or {\"events\": [...]}");
		return NULL;
	}
	return list;
}

/* The most item names a reply lists as pending. */
#define MAX_PENDING_LISTED 10

/* "pending": m and "pending_items": the distinct names of the first few, with a note. */
static void add_pending(cJSON *reply, const parsed_event *pe, size_t n, size_t pending)
{
	cJSON *names;
	size_t i, k, listed = 0;
	cJSON_AddNumberToObject(reply, "pending", (double)pending);
	names = cJSON_AddArrayToObject(reply, "pending_items");
	for (i = 0; names && i < n && listed < MAX_PENDING_LISTED; i++) {
		if (!pe[i].pending)
			continue;
		for (k = 0; k < i && !(pe[k].pending && !strcmp(pe[k].item, pe[i].item)); k++)
			;
		if (k < i)
			continue;
		cJSON_AddItemToArray(names, cJSON_CreateString(pe[i].item));
		listed++;
	}
	cJSON_AddStringToObject(reply, "note", "the snapshot has no item by these names yet: "
		"their events are logged and count from the reload whose snapshot has the items "
		"(matched by IRI, local name, SKU, product id or GTIN)");
}

/* {"accepted": n, "batch": b, "request_id": ...}: the events are logged, and applied but for
 * the "pending" ones (add_pending()); with "not_recorded": m for the events of actions that
 * are no interactions (a refund), valid and dropped, and no batch when nothing was logged. */
static void reply_accepted(kgr__resp *resp, const parsed_event *pe, size_t n, size_t pending,
	size_t not_recorded, uint64_t batch, const char *request_id)
{
	cJSON *reply = cJSON_CreateObject();
	if (!reply) {
		kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
		return;
	}
	cJSON_AddNumberToObject(reply, "accepted", (double)n);
	if (pending)
		add_pending(reply, pe, n, pending);
	if (not_recorded)
		cJSON_AddNumberToObject(reply, "not_recorded", (double)not_recorded);
	if (n)
		cJSON_AddNumberToObject(reply, "batch", (double)batch);
	cJSON_AddStringToObject(reply, "request_id", request_id);
	kgr__resp_json(resp, 200, reply);
	cJSON_Delete(reply);
}

/* Every event of the batch is checked before any is logged: one bad event refuses the
 * batch with a reply naming it. */
static int parse_batch(kgr_server *srv, parsed_event *pe, kgr__state *st, const cJSON *root,
	const cJSON *list, int single, kgr__resp *resp)
{
	const cJSON *e;
	size_t i = 0;
	int error = 0;
	if (single)
		return parse_event(srv, st, root, 0, 1, &pe[0], resp);
	cJSON_ArrayForEach(e, list) {
		if ((error = parse_event(srv, st, e, i, 0, &pe[i], resp)) != 0)
			break;
		i++;
	}
	return error;
}

/* The events that are no interactions (a refund) were checked like the others and go no
 * further: they are freed and the rest moved up. Returns how many are left. */
static size_t drop_not_recorded(parsed_event *pe, size_t n)
{
	size_t i, kept;
	for (i = 0, kept = 0; i < n; i++) {
		if (pe[i].not_recorded) {
			free(pe[i].user);
			free(pe[i].item);
			free(pe[i].action);
			continue;
		}
		pe[kept++] = pe[i];
	}
	return kept;
}

/* The batch may be applied by another request's thread: its error comes back in the job,
 * and is set again here, where kgr_error_last() will read it. */
static int apply_batch(kgr_server *srv, kgr__state *st, const kgr_interaction *ins, size_t n)
{
	kgr__apply_job job;
	memset(&job, 0, sizeof(job));
	job.st = st;
	job.ins = ins;
	job.n = n;
	apply_wait(srv, &job);
	if (job.error < 0)
		kgr__error_set(job.error, "%s", job.msg);
	return job.error;
}

/* Log the batch (events_mu held): a line of the file log, or a transaction of the events
 * database; *batch its number (the line) or the database id of its last event. Non-zero
 * after an error reply. */
static int log_batch(kgr_server *srv, const parsed_event *pe, size_t n, uint64_t *batch,
	kgr__resp *resp)
{
	char *line;
	size_t i, line_len;
	int error;
	if (srv->pg) {
		kgr__event *ev;
		int64_t last = 0;
		int mapped = kgr__pg_mapped(srv);
		if (!(ev = calloc(n, sizeof(*ev))))
			return kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
		for (i = 0; i < n; i++)
			ev[i] = mapped ? (kgr__event){ pe[i].raw_user, pe[i].raw_item, pe[i].raw_action,
				pe[i].time, pe[i].weight, 1 } : (kgr__event){ pe[i].user, pe[i].item,
				pe[i].action, pe[i].time, pe[i].weight, pe[i].pending };
		error = kgr__pg_append(srv, ev, n, &last);
		free(ev);
		if (error < 0) {
			resp->retry_after = 1;
			return kgr__resp_error(resp, 503, "events_unavailable", "the events were not "
				"acknowledged: %s; send them again", kgr_error_last());
		}
		*batch = (uint64_t)last;
		return 0;
	}
	*batch = srv->wal_batches + 1;
	if (!(line = log_line(pe, n, *batch, &line_len)))
		return kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
	error = kgr__wal_append(srv->wal_fd, line, line_len);
	free(line);
	if (error < 0)
		return kgr__resp_error(resp, 503, "log_failed", "the events were not stored: %s",
			kgr_error_last());
	srv->wal_batches = *batch;
	return 0;
}

void kgr__handle_events(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	cJSON *root = NULL;
	const cJSON *list;
	parsed_event *pe = NULL;
	kgr_interaction *ins = NULL;
	kgr__state *st = NULL;
	size_t n = 0, i, kept, not_recorded, n_ins = 0;
	int single = 0, error;
	uint64_t batch = 0;

	if (srv->wal_fd < 0 && !srv->pg) {
		kgr__resp_error(resp, 503, "events_disabled", "this server has no events log: start it "
			"with --events-log FILE or --events postgresql://... to accept events");
		return;
	}
	if (!(root = kgr__parse_json_body(req, resp)))
		return;
	if (!(list = batch_of(root, &single, resp)))
		goto cleanup;
	n = single ? 1 : (size_t)cJSON_GetArraySize(list);
	if (n == 0) {
		kgr__resp_error(resp, 400, "empty_batch", "the batch holds no event");
		goto cleanup;
	}
	if (n > MAX_BATCH) {
		kgr__resp_error(resp, 413, "batch_too_large", "a batch holds at most %d events, got %zu",
			MAX_BATCH, n);
		goto cleanup;
	}
	pe = calloc(n, sizeof(*pe));
	ins = calloc(n, sizeof(*ins));
	if (!pe || !ins) {
		kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
		goto cleanup;
	}

	pthread_mutex_lock(&srv->events_mu);
	st = kgr__state_acquire(srv);
	if (!st) {
		pthread_mutex_unlock(&srv->events_mu);
		kgr__resp_error(resp, 503, "not_ready", "no snapshot is loaded");
		goto cleanup;
	}
	if ((error = parse_batch(srv, pe, st, root, list, single, resp)) != 0) {
		pthread_mutex_unlock(&srv->events_mu);
		goto cleanup;
	}
	kept = drop_not_recorded(pe, n);
	not_recorded = n - kept;
	n = kept;
	if (n == 0) {
		pthread_mutex_unlock(&srv->events_mu);
		reply_accepted(resp, pe, 0, 0, not_recorded, 0, req->request_id);
		goto cleanup;
	}
	if (log_batch(srv, pe, n, &batch, resp) != 0) {
		pthread_mutex_unlock(&srv->events_mu);
		goto cleanup;
	}
	/* Durable from here on: a failure below is repaired by the replay at the next start.
	 * Users never seen before get ids (kgr_store_intern_extra needs no lock against the
	 * store's readers), still under events_mu so that ids follow the log's order. */
	for (i = 0, n_ins = 0, error = 0; i < n && error == 0; i++) {
		kgr__event ev = { pe[i].user, pe[i].item, pe[i].action, pe[i].time, pe[i].weight, 0 };
		if (!pe[i].pending)
			error = kgr__event_to_interaction(st->store, &st->items, &ev, &ins[n_ins++]);
	}
	pthread_mutex_unlock(&srv->events_mu);
	if (error == 0 && n_ins)
		error = apply_batch(srv, st, ins, n_ins);
	if (error < 0) {
		kgr__resp_error(resp, 500, "apply_failed", "the events are logged and will be applied "
			"at the next start, but applying them now failed: %s", kgr_error_last());
		goto cleanup;
	}
	atomic_fetch_add(&st->events_live, n_ins);
	atomic_fetch_add(&srv->metrics.events_applied, n_ins);
	atomic_fetch_add(&srv->metrics.events_pending, n - n_ins);
	reply_accepted(resp, pe, n, n - n_ins, not_recorded, batch, req->request_id);
cleanup:
	kgr__state_release(st);
	free(ins);
	if (pe)
		free_events(pe, n);
	cJSON_Delete(root);
}
