/* The librdf side of kgrec: one librdf world per process behind a lock, a logger that turns
 * raptor/rasqal/librdf messages into kgrec errors, and a read-only librdf storage module
 * ("kgrec") over a finalized kgr_store.
 *
 * The storage maps the nodes of a pattern to term ids (an unknown term matches nothing),
 * walks the store's SPO/POS/OSP indexes with kgr_store_match() and builds librdf nodes
 * only for the statement a caller actually reads. */
#include "sparql/rdf_world.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the world, the lock and the log ---- */

static pthread_mutex_t world_lock = PTHREAD_MUTEX_INITIALIZER;
static librdf_world *world;
static kgr_rdf_log captured;
/* The store handed to the storage factory's init (only set while the lock is held). */
static const kgr_store *pending_store;

static void log_record(int is_error, const char *text, raptor_locator *loc)
{
	if (!is_error) {
		captured.warnings++;
		return;
	}
	if (captured.errors++ > 0)
		return;
	snprintf(captured.message, sizeof(captured.message), "%s", text ? text : "unknown error");
	captured.line = loc && loc->line > 0 ? loc->line : -1;
	captured.column = loc && loc->column > 0 ? loc->column : -1;
}

void kgr__rdf_raptor_log(void *user_data, raptor_log_message *message)
{
	(void)user_data;
	log_record(message->level >= RAPTOR_LOG_LEVEL_ERROR, message->text, message->locator);
}

/* librdf's default logger prints half-initialised locators; this one records instead.
 * Warnings (rasqal warns about every aggregate's "unused" variables) are only counted. */
static int librdf_log_to_kgr(void *user_data, librdf_log_message *message)
{
	(void)user_data;
	log_record(librdf_log_message_level(message) >= LIBRDF_LOG_ERROR,
		librdf_log_message_message(message), librdf_log_message_locator(message));
	return 1;
}

const kgr_rdf_log *kgr__rdf_log(void)
{
	return &captured;
}

void kgr__rdf_log_reset(void)
{
	memset(&captured, 0, sizeof(captured));
	captured.line = captured.column = -1;
}

static void storage_register(librdf_storage_factory *factory);

/* The raptor world of librdf world @p w, without URI interning: raptor keeps every URI it
 * makes in one balanced tree and compares the strings all the way down it, for every IRI of
 * every row a query reads (raptor_new_uri_from_counted_string(), raptor_avltree_search() and
 * raptor_uri_compare() were 15% of a grouped count's profile). kgrec caches one literal per
 * term id for the query anyway, and raptor_uri_equals() compares the strings of URIs that are
 * not interned. Without it librdf makes its own world, with interning. */
static void set_raptor(librdf_world *w)
{
	raptor_world *rw = raptor_new_world();
	if (!rw)
		return;
	raptor_world_set_flag(rw, RAPTOR_WORLD_FLAG_URI_INTERNING, 0);
	if (raptor_world_open(rw)) {
		raptor_free_world(rw);
		return;
	}
	librdf_world_set_raptor(w, rw);
}

librdf_world *kgr__rdf_lock(void)
{
	pthread_mutex_lock(&world_lock);
	if (!world) {
		librdf_world *w = librdf_new_world();
		if (!w) {
			pthread_mutex_unlock(&world_lock);
			kgr__error_set(KGR_ENOMEM, "cannot create the librdf world");
			return NULL;
		}
		librdf_world_set_logger(w, NULL, librdf_log_to_kgr);
		set_raptor(w);
		librdf_world_open(w);
		raptor_world_set_log_handler(librdf_world_get_raptor(w), NULL, kgr__rdf_raptor_log);
		rasqal_world_set_log_handler(librdf_world_get_rasqal(w), NULL, kgr__rdf_raptor_log);
		if (librdf_storage_register_factory(w, KGR_RDF_STORAGE_NAME, "kgrec store (read-only)",
			    storage_register)) {
			librdf_free_world(w);
			pthread_mutex_unlock(&world_lock);
			kgr__error_set(KGR_ERROR, "cannot register the kgrec librdf storage module");
			return NULL;
		}
		world = w;
	}
	kgr__rdf_log_reset();
	return world;
}

void kgr__rdf_unlock(void)
{
	pthread_mutex_unlock(&world_lock);
}

void kgr__rdf_after_fork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	memcpy(&world_lock, &fresh, sizeof(fresh));
}

/* ---- terms ---- */

kgr_id kgr__store_literal_id(const kgr_store *store, const char *lex, size_t len, const char *lang,
	const char *datatype)
{
	/* RDF 1.1: a simple literal is an xsd:string; kgr_store_literal() takes either spelling
	 * (and an empty language tag as none). */
	return kgr_store_literal(store, lex, len, lang, datatype);
}

kgr_id kgr__rdf_id_from_node(const kgr_store *store, librdf_node *node)
{
	switch (librdf_node_get_type(node)) {
	case LIBRDF_NODE_TYPE_RESOURCE:
		return kgr_store_iri(store, (const char *)librdf_uri_as_string(librdf_node_get_uri(node)));
	case LIBRDF_NODE_TYPE_BLANK:
		return kgr_store_blank(store, (const char *)librdf_node_get_blank_identifier(node));
	case LIBRDF_NODE_TYPE_LITERAL: {
		size_t len = 0;
		const unsigned char *lex = librdf_node_get_literal_value_as_counted_string(node, &len);
		librdf_uri *dt = librdf_node_get_literal_value_datatype_uri(node);
		return kgr__store_literal_id(store, (const char *)lex, len,
			librdf_node_get_literal_value_language(node),
			dt ? (const char *)librdf_uri_as_string(dt) : NULL);
	}
	default:
		return 0;
	}
}

librdf_node *kgr__rdf_node_from_id(librdf_world *w, const kgr_store *store, kgr_id id)
{
	size_t len = 0;
	const char *value = kgr_term_value(store, id, &len);
	librdf_node *node = NULL;
	if (!value)
		return NULL;
	switch (kgr_term_kind_of(store, id)) {
	case KGR_TERM_IRI:
		node = librdf_new_node_from_uri_string(w, (const unsigned char *)value);
		break;
	case KGR_TERM_BLANK:
		node = librdf_new_node_from_blank_identifier(w, (const unsigned char *)value);
		break;
	case KGR_TERM_LITERAL: {
		const char *lang = kgr_term_lang(store, id);
		kgr_id dt = kgr_term_datatype(store, id);
		librdf_uri *dt_uri = NULL;
		if (dt) {
			dt_uri = librdf_new_uri(w, (const unsigned char *)kgr_term_value(store, dt, NULL));
			if (!dt_uri)
				return NULL;
		}
		node = librdf_new_node_from_typed_counted_literal(w, (const unsigned char *)value, len,
			lang, lang ? strlen(lang) : 0, dt_uri);
		if (dt_uri)
			librdf_free_uri(dt_uri);
		break;
	}
	default:
		break;
	}
	return node;
}

/* ---- the storage module ---- */

typedef struct {
	const kgr_store *store;
	long triples; /* distinct (s, p, o) over all graphs; -1 until counted */
} storage_instance;

static storage_instance *instance_of(librdf_storage *storage)
{
	return (storage_instance *)librdf_storage_get_instance(storage);
}

static int storage_init(librdf_storage *storage, const char *name, librdf_hash *options)
{
	storage_instance *inst;
	(void)name;
	if (options)
		librdf_free_hash(options);
	if (!pending_store) {
		librdf_log(librdf_storage_get_world(storage), 0, LIBRDF_LOG_ERROR, LIBRDF_FROM_STORAGE,
			NULL, "the kgrec storage is made by kgrec (kgr__rdf_storage_new), not by name");
		return 1;
	}
	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return 1;
	inst->store = pending_store;
	inst->triples = -1;
	librdf_storage_set_instance(storage, inst);
	return 0;
}

static int storage_clone(librdf_storage *new_storage, librdf_storage *old_storage)
{
	storage_instance *old = instance_of(old_storage), *inst = calloc(1, sizeof(*inst));
	if (!inst)
		return 1;
	*inst = *old;
	librdf_storage_set_instance(new_storage, inst);
	return 0;
}

static void storage_terminate(librdf_storage *storage)
{
	free(instance_of(storage));
}

static int storage_open(librdf_storage *storage, librdf_model *model)
{
	(void)storage;
	(void)model;
	return 0;
}

static int storage_close(librdf_storage *storage)
{
	(void)storage;
	return 0;
}

/* Distinct triples: the quads are sorted by (s, p, o, g), so copies are adjacent. */
static int storage_size(librdf_storage *storage)
{
	storage_instance *inst = instance_of(storage);
	if (inst->triples < 0) {
		size_t n = 0, i;
		const kgr_quad *q = kgr_store_quads(inst->store, &n);
		long count = 0;
		for (i = 0; i < n; i++)
			if (i == 0 || q[i].s != q[i - 1].s || q[i].p != q[i - 1].p || q[i].o != q[i - 1].o)
				count++;
		inst->triples = count;
	}
	return inst->triples > INT_MAX ? INT_MAX : (int)inst->triples;
}

static int read_only(librdf_storage *storage)
{
	librdf_log(librdf_storage_get_world(storage), 0, LIBRDF_LOG_ERROR, LIBRDF_FROM_STORAGE, NULL,
		"the kgrec storage is read-only");
	return 1;
}

static int storage_add_statement(librdf_storage *storage, librdf_statement *statement)
{
	(void)statement;
	return read_only(storage);
}

static int storage_add_statements(librdf_storage *storage, librdf_stream *stream)
{
	(void)stream;
	return read_only(storage);
}

static int storage_remove_statement(librdf_storage *storage, librdf_statement *statement)
{
	(void)statement;
	return read_only(storage);
}

static int storage_context_add_statement(librdf_storage *storage, librdf_node *context,
	librdf_statement *statement)
{
	(void)context;
	(void)statement;
	return read_only(storage);
}

static int storage_context_remove_statement(librdf_storage *storage, librdf_node *context,
	librdf_statement *statement)
{
	(void)context;
	(void)statement;
	return read_only(storage);
}

static int storage_context_add_statements(librdf_storage *storage, librdf_node *context,
	librdf_stream *stream)
{
	(void)context;
	(void)stream;
	return read_only(storage);
}

static int storage_context_remove_statements(librdf_storage *storage, librdf_node *context)
{
	(void)context;
	return read_only(storage);
}

/* Maps one position of a pattern: 1 and *id set (0 for a wildcard), or 0 when the node is
 * not in the store so that nothing can match. */
static int pattern_id(const kgr_store *store, librdf_node *node, kgr_id *id)
{
	*id = 0;
	if (!node)
		return 1;
	*id = kgr__rdf_id_from_node(store, node);
	return *id != 0;
}

static int storage_contains_statement(librdf_storage *storage, librdf_statement *statement)
{
	const kgr_store *store = instance_of(storage)->store;
	kgr_id s, p, o;
	if (!pattern_id(store, librdf_statement_get_subject(statement), &s) ||
		!pattern_id(store, librdf_statement_get_predicate(statement), &p) ||
		!pattern_id(store, librdf_statement_get_object(statement), &o) || !s || !p || !o)
		return 0;
	return kgr_store_count(store, s, p, o) > 0;
}

static int storage_has_arc_in(librdf_storage *storage, librdf_node *node, librdf_node *property)
{
	const kgr_store *store = instance_of(storage)->store;
	kgr_id o, p;
	if (!pattern_id(store, node, &o) || !pattern_id(store, property, &p))
		return 0;
	return kgr_store_count(store, 0, p, o) > 0;
}

static int storage_has_arc_out(librdf_storage *storage, librdf_node *node, librdf_node *property)
{
	const kgr_store *store = instance_of(storage)->store;
	kgr_id s, p;
	if (!pattern_id(store, node, &s) || !pattern_id(store, property, &p))
		return 0;
	return kgr_store_count(store, s, p, 0) > 0;
}

/* A stream over kgr_store_match(). In union mode (no context) a triple held by several
 * graphs is given once; the indexes keep the copies of a triple next to each other. */
typedef struct {
	librdf_world *world;
	librdf_storage *storage;
	const kgr_store *store;
	kgr_iter it;
	kgr_quad cur;
	int have;
	int union_mode;
	librdf_statement *statement; /* built lazily for cur */
	librdf_node *context;        /* the graph node in context mode */
} stream_ctx;

static void stream_advance(stream_ctx *sc)
{
	kgr_quad q;
	librdf_statement *old = sc->statement;
	sc->statement = NULL;
	if (old)
		librdf_free_statement(old);
	while (kgr_iter_next(&sc->it, &q)) {
		if (sc->union_mode && sc->have && q.s == sc->cur.s && q.p == sc->cur.p && q.o == sc->cur.o)
			continue;
		sc->cur = q;
		sc->have = 1;
		return;
	}
	sc->have = 0;
}

static int stream_is_end(void *ctx)
{
	return !((stream_ctx *)ctx)->have;
}

static int stream_next(void *ctx)
{
	stream_ctx *sc = ctx;
	if (!sc->have)
		return 1;
	stream_advance(sc);
	return !sc->have;
}

static void *stream_get(void *ctx, int flags)
{
	stream_ctx *sc = ctx;
	if (!sc->have)
		return NULL;
	if (flags == LIBRDF_ITERATOR_GET_METHOD_GET_CONTEXT)
		return sc->context;
	if (flags != LIBRDF_ITERATOR_GET_METHOD_GET_OBJECT)
		return NULL;
	if (!sc->statement) {
		librdf_node *s = kgr__rdf_node_from_id(sc->world, sc->store, sc->cur.s);
		librdf_node *p = kgr__rdf_node_from_id(sc->world, sc->store, sc->cur.p);
		librdf_node *o = kgr__rdf_node_from_id(sc->world, sc->store, sc->cur.o);
		if (!s || !p || !o) {
			if (s)
				librdf_free_node(s);
			if (p)
				librdf_free_node(p);
			if (o)
				librdf_free_node(o);
			return NULL;
		}
		/* takes ownership of the nodes */
		sc->statement = librdf_new_statement_from_nodes(sc->world, s, p, o);
	}
	return sc->statement;
}

static void stream_finished(void *ctx)
{
	stream_ctx *sc = ctx;
	if (sc->statement)
		librdf_free_statement(sc->statement);
	if (sc->context)
		librdf_free_node(sc->context);
	if (sc->storage)
		librdf_storage_remove_reference(sc->storage);
	free(sc);
}

/* context: NULL for the union of all graphs, else a named graph node. */
static librdf_stream *find_in(librdf_storage *storage, librdf_statement *statement,
	librdf_node *context)
{
	const kgr_store *store = instance_of(storage)->store;
	librdf_world *w = librdf_storage_get_world(storage);
	kgr_id s = 0, p = 0, o = 0, g = KGR_ANY_GRAPH;
	stream_ctx *sc;
	librdf_stream *stream;

	if (statement && (!pattern_id(store, librdf_statement_get_subject(statement), &s) ||
		    !pattern_id(store, librdf_statement_get_predicate(statement), &p) ||
		    !pattern_id(store, librdf_statement_get_object(statement), &o)))
		return librdf_new_empty_stream(w);
	if (context) {
		g = kgr__rdf_id_from_node(store, context);
		if (!g)
			return librdf_new_empty_stream(w);
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return NULL;
	sc->world = w;
	sc->store = store;
	sc->union_mode = context == NULL;
	if (context) {
		sc->context = librdf_new_node_from_node(context);
		if (!sc->context) {
			free(sc);
			return NULL;
		}
	}
	sc->storage = storage;
	librdf_storage_add_reference(storage);
	kgr_store_match(store, &sc->it, s, p, o, g);
	stream_advance(sc);
	stream = librdf_new_stream(w, sc, stream_is_end, stream_next, stream_get, stream_finished);
	if (!stream)
		stream_finished(sc);
	return stream;
}

static librdf_stream *storage_find_statements(librdf_storage *storage, librdf_statement *statement)
{
	return find_in(storage, statement, NULL);
}

static librdf_stream *storage_serialise(librdf_storage *storage)
{
	return find_in(storage, NULL, NULL);
}

static librdf_stream *storage_find_statements_in_context(librdf_storage *storage,
	librdf_statement *statement, librdf_node *context)
{
	return find_in(storage, statement, context);
}

static librdf_stream *storage_context_serialise(librdf_storage *storage, librdf_node *context)
{
	return find_in(storage, NULL, context);
}

static librdf_stream *storage_find_statements_with_options(librdf_storage *storage,
	librdf_statement *statement, librdf_node *context, librdf_hash *options)
{
	(void)options;
	return find_in(storage, statement, context);
}

/* An iterator over the named graphs. */
typedef struct {
	librdf_world *world;
	librdf_storage *storage;
	const kgr_store *store;
	const kgr_id *graphs;
	size_t n, i;
	librdf_node *node;
} graphs_ctx;

static int graphs_is_end(void *ctx)
{
	graphs_ctx *gc = ctx;
	return gc->i >= gc->n;
}

static int graphs_next(void *ctx)
{
	graphs_ctx *gc = ctx;
	if (gc->node) {
		librdf_free_node(gc->node);
		gc->node = NULL;
	}
	if (gc->i < gc->n)
		gc->i++;
	return gc->i >= gc->n;
}

static void *graphs_get(void *ctx, int flags)
{
	graphs_ctx *gc = ctx;
	if (gc->i >= gc->n || flags != LIBRDF_ITERATOR_GET_METHOD_GET_OBJECT)
		return NULL;
	if (!gc->node)
		gc->node = kgr__rdf_node_from_id(gc->world, gc->store, gc->graphs[gc->i]);
	return gc->node;
}

static void graphs_finished(void *ctx)
{
	graphs_ctx *gc = ctx;
	if (gc->node)
		librdf_free_node(gc->node);
	librdf_storage_remove_reference(gc->storage);
	free(gc);
}

static librdf_iterator *storage_get_contexts(librdf_storage *storage)
{
	graphs_ctx *gc = calloc(1, sizeof(*gc));
	librdf_iterator *it;
	size_t skip = 0;
	if (!gc)
		return NULL;
	gc->world = librdf_storage_get_world(storage);
	gc->store = instance_of(storage)->store;
	gc->graphs = kgr_store_graphs(gc->store, &gc->n);
	/* the default graph (id 0), if listed, is not a context */
	while (skip < gc->n && gc->graphs[skip] == 0)
		skip++;
	gc->graphs += skip;
	gc->n -= skip;
	gc->storage = storage;
	librdf_storage_add_reference(storage);
	it = librdf_new_iterator(gc->world, gc, graphs_is_end, graphs_next, graphs_get, graphs_finished);
	if (!it)
		graphs_finished(gc);
	return it;
}

static librdf_node *storage_get_feature(librdf_storage *storage, librdf_uri *feature)
{
	if (feature &&
		!strcmp((const char *)librdf_uri_as_string(feature), LIBRDF_MODEL_FEATURE_CONTEXTS))
		return librdf_new_node_from_typed_literal(librdf_storage_get_world(storage),
			(const unsigned char *)"1", NULL, NULL);
	return NULL;
}

static void storage_register(librdf_storage_factory *factory)
{
	factory->version = LIBRDF_STORAGE_INTERFACE_VERSION;
	factory->init = storage_init;
	factory->clone = storage_clone;
	factory->terminate = storage_terminate;
	factory->open = storage_open;
	factory->close = storage_close;
	factory->size = storage_size;
	factory->add_statement = storage_add_statement;
	factory->add_statements = storage_add_statements;
	factory->remove_statement = storage_remove_statement;
	factory->contains_statement = storage_contains_statement;
	factory->has_arc_in = storage_has_arc_in;
	factory->has_arc_out = storage_has_arc_out;
	factory->serialise = storage_serialise;
	factory->find_statements = storage_find_statements;
	factory->find_statements_with_options = storage_find_statements_with_options;
	factory->context_add_statement = storage_context_add_statement;
	factory->context_remove_statement = storage_context_remove_statement;
	factory->context_add_statements = storage_context_add_statements;
	factory->context_remove_statements = storage_context_remove_statements;
	factory->context_serialise = storage_context_serialise;
	factory->find_statements_in_context = storage_find_statements_in_context;
	factory->get_contexts = storage_get_contexts;
	factory->get_feature = storage_get_feature;
}

librdf_storage *kgr__rdf_storage_new(librdf_world *w, const kgr_store *store)
{
	librdf_storage *storage;
	pending_store = store;
	storage = librdf_new_storage(w, KGR_RDF_STORAGE_NAME, "kgrec", NULL);
	pending_store = NULL;
	if (!storage)
		kgr__error_set(KGR_ERROR, "cannot create the kgrec librdf storage: %s",
			captured.errors ? captured.message : "unknown reason");
	return storage;
}

const kgr_store *kgr__rdf_storage_store(librdf_storage *storage)
{
	storage_instance *inst;
	if (!storage)
		return NULL;
	inst = instance_of(storage);
	return inst ? inst->store : NULL;
}
