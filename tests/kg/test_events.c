/* Event logs: action names and the action map, header names, delimiters, timestamp units,
 * items matched against the catalog, the load report. Part of the store suite. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testutil.h"
#include "kg/internal.h"
#include "kgrec/store.h"
#include "kg/events_tests.h"

#define TRAIL "https://trail.example.com/products/"

/* A store with the events catalog loaded and still loading. */
static kgr_store *catalog(void)
{
	kgr_store *s = NULL;
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_msg(kgr_store_load_rdf(s, kgr_test_data("events/catalog.ttl"), NULL, NULL) == 0, "%s",
		kgr_error_last());
	return s;
}

/* Load events/<file> into a catalog store with @p o (report_out pointed at @p rep); the code. */
static int load_log(kgr_store *s, const char *file, kgr_interaction_options *o, kgr_interaction_report *rep)
{
	memset(rep, 0x55, sizeof(*rep));
	o->report_out = rep;
	return kgr_store_load_interactions(s, kgr_test_data(file), o);
}

static const char *action_of(const char *name)
{
	const char *a = "?";
	kgr__action_kind k = kgr__action_lookup(name, &a);
	return k == KGR__ACTION_KNOWN ? a : k == KGR__ACTION_NOT_RECORDED ? "(not recorded)" : "(unknown)";
}

START_TEST(test_action_names)
{
	kgr__buf names = { 0 };
	/* GA4 */
	ck_assert_str_eq(action_of("view_item"), "view");
	ck_assert_str_eq(action_of("select_item"), "view");
	ck_assert_str_eq(action_of("add_to_cart"), "cart");
	ck_assert_str_eq(action_of("begin_checkout"), "cart");
	ck_assert_str_eq(action_of("add_to_wishlist"), "wishlist");
	ck_assert_str_eq(action_of("purchase"), "purchase");
	ck_assert_str_eq(action_of("refund"), "(not recorded)");
	ck_assert_str_eq(action_of("view_item_list"), "(not recorded)");
	/* Segment, as tracked and as its warehouses store the names */
	ck_assert_str_eq(action_of("Product Viewed"), "view");
	ck_assert_str_eq(action_of("product_viewed"), "view");
	ck_assert_str_eq(action_of("Product Added"), "cart");
	ck_assert_str_eq(action_of("Product Added to Wishlist"), "wishlist");
	ck_assert_str_eq(action_of("Order Completed"), "purchase");
	ck_assert_str_eq(action_of("Order Refunded"), "(not recorded)");
	/* the names of before, and spelling that does not matter */
	ck_assert_str_eq(action_of("addtocart"), "cart");
	ck_assert_str_eq(action_of("Add-To-Cart"), "cart");
	ck_assert_str_eq(action_of("transaction"), "purchase");
	ck_assert_str_eq(action_of(""), "interact");
	ck_assert_str_eq(action_of("juggle"), "(unknown)");
	ck_assert_str_eq(action_of("view item list extra"), "(unknown)");
	kgr__action_names(&names);
	ck_assert_ptr_nonnull(names.s);
	ck_assert_ptr_nonnull(strstr(names.s, "view: view, views"));
	ck_assert_ptr_nonnull(strstr(names.s, "view_item, select_item, Product Viewed"));
	ck_assert_ptr_nonnull(strstr(names.s, "; not recorded: refund, Order Refunded"));
	kgr__buf_free(&names);
}
END_TEST

static int64_t log_time(const char *text, kgr_time_unit unit, int expect, const char *needle)
{
	int64_t t = -1;
	char why[400] = "";
	int rc = kgr__parse_log_time(text, strlen(text), unit, &t, why, sizeof(why));
	ck_assert_msg(rc == expect, "'%s': %d, expected %d (%s)", text, rc, expect, why);
	if (needle)
		ck_assert_msg(strstr(why, needle) != NULL, "'%s': '%s' lacks '%s'", text, why, needle);
	return t;
}

START_TEST(test_timestamp_units)
{
	/* by magnitude: seconds below 1e12, milliseconds from 1e12 to 1e13, microseconds from 1e15
	 * to 1e16 */
	ck_assert_int_eq(log_time("1717236000", KGR_TIME_UNIT_AUTO, 0, NULL), 1717236000);
	ck_assert_int_eq(log_time("1", KGR_TIME_UNIT_AUTO, 0, NULL), 1);
	ck_assert_int_eq(log_time("253402300799", KGR_TIME_UNIT_AUTO, 0, NULL), 253402300799LL);
	ck_assert_int_eq(log_time("1000000000000", KGR_TIME_UNIT_AUTO, 0, NULL), 1000000000);
	ck_assert_int_eq(log_time("1717236000123", KGR_TIME_UNIT_AUTO, 0, NULL), 1717236000);
	ck_assert_int_eq(log_time("9999999999999", KGR_TIME_UNIT_AUTO, 0, NULL), 9999999999LL);
	ck_assert_int_eq(log_time("1000000000000000", KGR_TIME_UNIT_AUTO, 0, NULL), 1000000000);
	ck_assert_int_eq(log_time(" 1717236000999999 ", KGR_TIME_UNIT_AUTO, 0, NULL), 1717236000);
	ck_assert_int_eq(log_time("9999999999999999", KGR_TIME_UNIT_AUTO, 0, NULL), 9999999999LL);
	ck_assert_int_eq(log_time("-1500", KGR_TIME_UNIT_MS, 0, NULL), -2); /* floor */
	/* between and beyond the ranges */
	log_time("253402300800", KGR_TIME_UNIT_AUTO, -2, "read as epoch seconds (told by its magnitude) "
		"it falls in the year 10000");
	log_time("10000000000000", KGR_TIME_UNIT_AUTO, -2, "microseconds from 1e15 to 1e16 (2001-09-09 to "
		"2286-11-20 for both), and this is none of them");
	log_time("999999999999999", KGR_TIME_UNIT_AUTO, -2, "this is none of them");
	log_time("10000000000000000", KGR_TIME_UNIT_AUTO, -2, "this is none of them");
	log_time("1717236000000000000", KGR_TIME_UNIT_AUTO, -2, "too many digits");
	log_time("-99999999999", KGR_TIME_UNIT_AUTO, -2, "epoch seconds (told by its magnitude) it falls "
		"in the year -1199");
	/* forced */
	ck_assert_int_eq(log_time("1717236000", KGR_TIME_UNIT_S, 0, NULL), 1717236000);
	ck_assert_int_eq(log_time("1717236000000", KGR_TIME_UNIT_MS, 0, NULL), 1717236000);
	ck_assert_int_eq(log_time("1717236000000000", KGR_TIME_UNIT_US, 0, NULL), 1717236000);
	ck_assert_int_eq(log_time("1717236000", KGR_TIME_UNIT_MS, 0, NULL), 1717236);
	ck_assert_int_eq(log_time("100000000000000", KGR_TIME_UNIT_US, 0, NULL), 100000000);
	log_time("1717236000000", KGR_TIME_UNIT_S, -2, "out of range: read as epoch seconds (as set) it "
		"falls in the year 56387, and times must fall in the years 1000 to 9999");
	/* ISO-8601 whatever the unit; anything else is unparseable */
	ck_assert_int_eq(log_time("2024-06-01T10:00:00Z", KGR_TIME_UNIT_US, 0, NULL), 1717236000);
	ck_assert_int_eq(log_time("2024-06-01T12:00:00.5+02:00", KGR_TIME_UNIT_AUTO, 0, NULL), 1717236000);
	log_time("yesterday", KGR_TIME_UNIT_AUTO, -1, "neither ISO-8601");
	log_time("2025-02-29", KGR_TIME_UNIT_AUTO, -1, "neither ISO-8601");
	log_time("17172360.5", KGR_TIME_UNIT_AUTO, -1, "neither ISO-8601");
}
END_TEST

START_TEST(test_ga4_export)
{
	kgr_store *s = catalog();
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	kgr_interaction_report rep;
	const kgr_interaction *v;
	size_t n;
	kgr_id u;

	ck_assert_msg(load_log(s, "events/ga4.csv", &o, &rep) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(rep.delimiter, ';');
	ck_assert_uint_eq(rep.events, 17);
	ck_assert_uint_eq(rep.not_recorded, 2); /* the refund and the list view */
	ck_assert_uint_eq(rep.skipped, 0);
	ck_assert_uint_eq(rep.catalog_items, 8);
	ck_assert_uint_eq(rep.items_by_code, 17); /* SKUs, and GTINs without their leading zeros */
	ck_assert_uint_eq(rep.items_by_iri + rep.items_by_name + rep.items_unmatched, 0);
	ck_assert_uint_eq(rep.unknown_actions, 0);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	/* the row's user_id when it has one, else its user_pseudo_id */
	u = kgr_store_iri(s, "https://w3id.org/kgrec/user/cust-42");
	ck_assert_uint_ne(u, 0);
	v = kgr_store_user_interactions(s, u, &n);
	ck_assert_uint_eq(n, 4); /* the refund is not one */
	ck_assert_str_eq(kgr_term_value(s, v[0].item, NULL), TRAIL "1003");
	ck_assert_str_eq(kgr_term_value(s, v[0].action, NULL), KGR_NS "view");
	ck_assert_int_eq(v[0].time, 1717408800); /* epoch microseconds */
	ck_assert_str_eq(kgr_term_value(s, v[1].action, NULL), KGR_NS "purchase");
	u = kgr_store_iri(s, "https://w3id.org/kgrec/user/1197654321.1717236000");
	v = kgr_store_user_interactions(s, u, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(kgr_term_value(s, v[1].action, NULL), KGR_NS "cart");     /* add_to_cart */
	ck_assert_str_eq(kgr_term_value(s, v[2].action, NULL), KGR_NS "cart");     /* begin_checkout */
	ck_assert_str_eq(kgr_term_value(s, v[3].action, NULL), KGR_NS "purchase");
	u = kgr_store_iri(s, "https://w3id.org/kgrec/user/2233445566.1717236300");
	v = kgr_store_user_interactions(s, u, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(kgr_term_value(s, v[0].action, NULL), KGR_NS "view");     /* select_item */
	ck_assert_str_eq(kgr_term_value(s, v[3].action, NULL), KGR_NS "wishlist"); /* add_to_wishlist */
	ck_assert_str_eq(kgr_term_value(s, v[3].item, NULL), TRAIL "1005");
	/* no item outside the catalog, no action outside the vocabulary */
	kgr_store_items(s, &n);
	ck_assert_uint_eq(n, 8);
	ck_assert_uint_eq(kgr_store_iri(s, "https://w3id.org/kgrec/action/view_item"), 0);
	ck_assert_uint_eq(kgr_store_iri(s, "https://w3id.org/kgrec/item/TR-SHOE-RR3"), 0);
	kgr_store_free(s);
}
END_TEST

START_TEST(test_segment_export)
{
	kgr_store *s = catalog();
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	kgr_interaction_report rep;
	const kgr_interaction *v;
	size_t n;

	ck_assert_msg(load_log(s, "events/segment.csv", &o, &rep) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(rep.delimiter, ',');
	ck_assert_uint_eq(rep.events, 5);
	ck_assert_uint_eq(rep.not_recorded, 1);
	ck_assert_uint_eq(rep.items_by_code, 5); /* schema:productID and schema:sku */
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	v = kgr_store_user_interactions(s, kgr_store_iri(s, "https://w3id.org/kgrec/user/cust-42"), &n);
	ck_assert_uint_eq(n, 1); /* user_id before anonymous_id */
	ck_assert_str_eq(kgr_term_value(s, v[0].item, NULL), TRAIL "1007");
	ck_assert_str_eq(kgr_term_value(s, v[0].action, NULL), KGR_NS "purchase");
	ck_assert_int_eq(v[0].time, 1717571100); /* 09:05+02:00 */
	v = kgr_store_user_interactions(s, kgr_store_iri(s, "https://w3id.org/kgrec/user/a-88"), &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(kgr_term_value(s, v[0].action, NULL), KGR_NS "view");
	ck_assert_str_eq(kgr_term_value(s, v[1].action, NULL), KGR_NS "wishlist");
	kgr_store_free(s);
}
END_TEST

START_TEST(test_delimiters_and_headers)
{
	kgr_store *s = catalog();
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	kgr_interaction_report rep;

	ck_assert_msg(load_log(s, "events/tabs.txt", &o, &rep) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(rep.delimiter, '\t');
	ck_assert_uint_eq(rep.events, 2);
	ck_assert_msg(load_log(s, "events/millis.csv", &o, &rep) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(rep.delimiter, ';');
	ck_assert_uint_eq(rep.items_by_code, 2); /* the sku column */
	kgr_store_free(s);
}
END_TEST

/* The end of the message of the last error, after "<path>". */
static const char *msg_after_path(const char *file)
{
	const char *p = kgr_test_data(file), *m = kgr_error_last();
	ck_assert_msg(!strncmp(m, p, strlen(p)), "'%s' does not start with %s", m, p);
	return m + strlen(p);
}

START_TEST(test_bad_logs)
{
	kgr_store *s = catalog();
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	kgr_interaction_report rep;
	size_t quads = kgr_store_quad_count(s);

	ck_assert_int_eq(load_log(s, "events/bad-header.csv", &o, &rep), KGR_EPARSE);
	ck_assert_str_eq(msg_after_path("events/bad-header.csv"), ":1: header must name the columns user, "
		"item and timestamp (and optionally action, weight); split at each semicolon (';', guessed "
		"from the header) it has the columns 'visitor', 'product', 'when'");
	o.delimiter = ',';
	ck_assert_int_eq(load_log(s, "events/bad-header.csv", &o, &rep), KGR_EPARSE);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "split at each comma (',', as given) it has the "
		"columns 'visitor;product;when'"));
	o.delimiter = 0;
	ck_assert_int_eq(load_log(s, "events/bad-time.csv", &o, &rep), KGR_EPARSE);
	ck_assert_str_eq(msg_after_path("events/bad-time.csv"), ":3: unparseable timestamp "
		"'1717236000000000000' in column 2 (event_timestamp): out of range: too many digits for "
		"epoch seconds, milliseconds or microseconds");
	ck_assert_uint_eq(kgr_store_quad_count(s), quads);
	o.time_unit = KGR_TIME_UNIT_S;
	ck_assert_int_eq(load_log(s, "events/millis.csv", &o, &rep), KGR_EPARSE);
	ck_assert_str_eq(msg_after_path("events/millis.csv"), ":2: unparseable timestamp '1717236000000' "
		"in column 3 (timestamp): out of range: read as epoch seconds (as set) it falls in the year "
		"56387, and times must fall in the years 1000 to 9999");
	ck_assert_uint_eq(kgr_store_quad_count(s), quads);
	o.time_unit = KGR_TIME_UNIT_AUTO;
	o.skip_bad_rows = 1;
	ck_assert_int_eq(load_log(s, "events/bad-time.csv", &o, &rep), 0);
	ck_assert_uint_eq(rep.skipped, 1);
	ck_assert_uint_eq(rep.events, 2);
	kgr_store_free(s);
}
END_TEST

START_TEST(test_item_matching)
{
	kgr_store *s = catalog();
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	kgr_interaction_report rep;
	const char *path = kgr_test_tmp("names.csv");
	FILE *f = fopen(path, "w");
	size_t quads;

	/* local names of product IRIs, an IRI, item_base + id, and one that is no product */
	ck_assert_ptr_nonnull(f);
	fputs("user,item,timestamp\n"
	      "u1,1001,2024-06-01\n"
	      "u1," TRAIL "1002,2024-06-02\n"
	      "u1,https://trail.example.com/brand-new,2024-06-03\n"
	      "u2,1008,2024-06-03\n"
	      "u2,0012345678905,2024-06-04\n", f);
	fclose(f);
	memset(&rep, 0, sizeof(rep));
	o.report_out = &rep;
	ck_assert_msg(kgr_store_load_interactions(s, path, &o) == 0, "%s", kgr_error_last());
	ck_assert_uint_eq(rep.items_by_name, 2);
	ck_assert_uint_eq(rep.items_by_iri, 1);
	ck_assert_uint_eq(rep.items_by_code, 1); /* a GTIN-13 as written in the catalog */
	ck_assert_uint_eq(rep.items_unmatched, 1);
	ck_assert_str_eq(rep.unmatched[0], "https://trail.example.com/brand-new");
	ck_assert_str_eq(rep.unmatched[1], "");
	/* with item_base the namespace of the products, the ids are their IRIs */
	o.item_base = TRAIL;
	ck_assert_int_eq(kgr_store_load_interactions(s, path, &o), 0);
	ck_assert_uint_eq(rep.items_by_iri, 3);
	ck_assert_uint_eq(rep.items_by_code, 1);

	/* unmatched items: examples, distinct, at most three */
	o.item_base = "https://w3id.org/kgrec/item/";
	ck_assert_int_eq(load_log(s, "events/unmatched.csv", &o, &rep), 0);
	ck_assert_uint_eq(rep.items_by_code, 1);
	ck_assert_uint_eq(rep.items_unmatched, 5);
	ck_assert_str_eq(rep.unmatched[0], "OLD-SKU-1");
	ck_assert_str_eq(rep.unmatched[1], "OLD-SKU-2");
	ck_assert_str_eq(rep.unmatched[2], "OLD-SKU-3");
	/* strict: an error naming the line and the item, and nothing of the file kept */
	quads = kgr_store_quad_count(s);
	o.strict_items = 1;
	ck_assert_int_eq(load_log(s, "events/unmatched.csv", &o, &rep), KGR_ENOTFOUND);
	ck_assert_str_eq(msg_after_path("events/unmatched.csv"), ":3: column 2 (item): 'OLD-SKU-1' is not "
		"a catalog product (looked up by IRI, the local name of product IRIs, schema:sku, "
		"schema:productID and schema:gtin*)");
	ck_assert_uint_eq(kgr_store_quad_count(s), quads);
	o.skip_bad_rows = 1;
	ck_assert_int_eq(load_log(s, "events/unmatched.csv", &o, &rep), 0);
	ck_assert_uint_eq(rep.skipped, 5);
	ck_assert_uint_eq(rep.events, 1);
	kgr_store_free(s);
}
END_TEST

START_TEST(test_ambiguous_keys)
{
	kgr_store *s = NULL;
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	kgr_interaction_report rep;
	const char *path = kgr_test_tmp("twice.csv");
	FILE *f = fopen(path, "w");
	static const char ttl[] =
		"@prefix schema: <http://schema.org/> .\n"
		"<http://a.example/p/1> a schema:Product ; schema:sku \"X\" .\n"
		"<http://b.example/p/1> a schema:Product ; schema:sku \"X\" ; schema:productID \"Y\" .\n"
		"<http://b.example/p/2> a schema:Product ; schema:sku \"Y\" .\n"
		"<http://b.example/offer/3> a schema:Offer ; schema:sku \"Z\" .\n";

	ck_assert_ptr_nonnull(f);
	fputs("user,item,timestamp\nu,1,2024-06-01\nu,X,2024-06-01\nu,Y,2024-06-01\nu,Z,2024-06-01\n", f);
	fclose(f);
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, ttl, strlen(ttl), "turtle", NULL, "ttl"), 0);
	o.report_out = &rep;
	ck_assert_msg(kgr_store_load_interactions(s, path, &o) == 0, "%s", kgr_error_last());
	/* '1' and 'X' name two products each; 'Y' is one's SKU (before another's product id);
	 * an offer is no product */
	ck_assert_uint_eq(rep.items_by_code, 1);
	ck_assert_uint_eq(rep.items_unmatched, 3);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	ck_assert_uint_ne(kgr_store_iri(s, "https://w3id.org/kgrec/item/1"), 0);
	ck_assert_uint_ne(kgr_store_iri(s, "https://w3id.org/kgrec/item/Z"), 0);
	o.strict_items = 1;
	kgr_store_free(s);
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, ttl, strlen(ttl), "turtle", NULL, "ttl"), 0);
	ck_assert_int_eq(kgr_store_load_interactions(s, path, &o), KGR_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), ":2: column 2 (item): '1' is not a catalog product: "
		"it names several"));
	kgr_store_free(s);
}
END_TEST

START_TEST(test_action_map)
{
	kgr_store *s = catalog();
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	kgr_interaction_report rep;
	const kgr_interaction *v;
	size_t n;

	/* without a map: new actions, reported */
	ck_assert_int_eq(load_log(s, "events/custom-actions.csv", &o, &rep), 0);
	ck_assert_uint_eq(rep.unknown_actions, 4);
	ck_assert_str_eq(rep.unknown[0], "quick_look");
	ck_assert_str_eq(rep.unknown[2], "share");
	kgr_store_free(s);

	s = catalog();
	o.action_map = kgr_test_data("events/action-map.csv");
	ck_assert_msg(load_log(s, "events/custom-actions.csv", &o, &rep) == 0, "%s", kgr_error_last());
	ck_assert_uint_eq(rep.unknown_actions, 0);
	ck_assert_uint_eq(rep.not_recorded, 1); /* share,ignore */
	ck_assert_uint_eq(rep.events, 3);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	v = kgr_store_user_interactions(s, kgr_store_iri(s, "https://w3id.org/kgrec/user/u1"), &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(kgr_term_value(s, v[0].action, NULL), KGR_NS "view");
	ck_assert_str_eq(kgr_term_value(s, v[1].action, NULL), KGR_NS "cart"); /* via add_to_cart */
	kgr_store_free(s);

	s = catalog();
	o.action_map = kgr_test_data("events/bad-action-map.csv");
	ck_assert_int_eq(load_log(s, "events/custom-actions.csv", &o, &rep), KGR_EPARSE);
	ck_assert_str_eq(msg_after_path("events/bad-action-map.csv"), ":2: column 2: 'teleport' is not an "
		"action: give a kgrec action (view, click, cart, wishlist, purchase, rate, review, listen, "
		"tag, interact) or a name it knows, 'ignore', or an IRI");
	o.action_map = kgr_test_data("events/no-such-map.csv");
	ck_assert_int_eq(load_log(s, "events/custom-actions.csv", &o, &rep), KGR_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "cannot open action map"));
	kgr_store_free(s);
}
END_TEST

START_TEST(test_options_version)
{
	kgr_store *s = catalog();
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	o.version = 1;
	ck_assert_int_eq(kgr_store_load_interactions(s, kgr_test_data("events/ga4.csv"), &o), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "interactions: options version 1, expected 2");
	kgr_store_free(s);
}
END_TEST

TCase *kgr_test_events_tcase(void)
{
	TCase *tc = tcase_create("events");
	tcase_add_test(tc, test_action_names);
	tcase_add_test(tc, test_timestamp_units);
	tcase_add_test(tc, test_ga4_export);
	tcase_add_test(tc, test_segment_export);
	tcase_add_test(tc, test_delimiters_and_headers);
	tcase_add_test(tc, test_bad_logs);
	tcase_add_test(tc, test_item_matching);
	tcase_add_test(tc, test_ambiguous_keys);
	tcase_add_test(tc, test_action_map);
	tcase_add_test(tc, test_options_version);
	return tc;
}
