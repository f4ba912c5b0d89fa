/* Input that third-party RDF parsers must not see, refused before they do.
 *
 * libraptor2 2.0.15's Turtle/TriG lexer overflows a heap buffer on a language tag of about
 * 300 characters or more (the release build aborts at 1,000 and crashes at 100,000). No real
 * tag comes near that: BCP 47 (RFC 5646) builds tags from subtags of at most 8 letters or
 * digits, and its longest registered form is well under 64 bytes. So kgrec reads every
 * language tag against that shape, with a limit of KGR_LANGTAG_MAX bytes: its own
 * N-Triples/N-Quads reader checks each tag it reads, and Turtle/TriG text goes through a
 * small scanner (comments, IRIs, short and long strings, the tag after a string) before
 * raptor parses it. */
#include "kg/rdf_guard.h"

#include <stdio.h>
#include <string.h>

static int is_alpha(unsigned char ch)
{
	return (ch | 32) >= 'a' && (ch | 32) <= 'z';
}

static int is_alnum(unsigned char ch)
{
	return is_alpha(ch) || (ch >= '0' && ch <= '9');
}

const char *kgr__langtag_problem(const char *tag, size_t len)
{
	size_t i, sub = 0;
	int first = 1;
	if (len == 0)
		return "empty language tag";
	if (len > KGR_LANGTAG_MAX)
		return "language tag longer than 64 characters (BCP 47 tags are far shorter)";
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)tag[i];
		if (ch == '-') {
			if (sub == 0)
				return "bad language tag: empty subtag";
			sub = 0;
			first = 0;
			continue;
		}
		if (first ? !is_alpha(ch) : !is_alnum(ch))
			return "bad language tag: BCP 47 is letters, then '-' and subtags of letters or digits";
		if (++sub > 8)
			return "bad language tag: a subtag is longer than 8 characters (BCP 47)";
	}
	if (sub == 0)
		return "bad language tag: empty subtag";
	return NULL;
}

enum { NORMAL, COMMENT, IRI, QUOTES, STRING, LONG_STRING, AFTER_STRING, LANG };

void kgr__ttl_scan_init(kgr__ttl_scan *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->state = NORMAL;
	sc->line = 1;
	sc->col = 0;
}

/* The tag collected so far is complete: check it. */
static int end_tag(kgr__ttl_scan *sc)
{
	const char *why = kgr__langtag_problem(sc->tag, sc->tag_len);
	if (!why)
		return 0;
	snprintf(sc->message, sizeof(sc->message), "%ld:%ld: %s", sc->tag_line, sc->tag_col, why);
	return -1;
}

int kgr__ttl_scan_feed(kgr__ttl_scan *sc, const char *data, size_t len, int eof)
{
	size_t i;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];
		if (ch == '\n') {
			sc->line++;
			sc->col = 0;
		} else {
			sc->col++;
		}
	again:
		switch (sc->state) {
		case NORMAL:
			if (ch == '#')
				sc->state = COMMENT;
			else if (ch == '<')
				sc->state = IRI;
			else if (ch == '"' || ch == '\'') {
				sc->quote = ch;
				sc->run = 1;
				sc->state = QUOTES;
			}
			break;
		case COMMENT:
			if (ch == '\n' || ch == '\r')
				sc->state = NORMAL;
			break;
		case IRI:
			if (ch == '>' || ch == '\n')
				sc->state = NORMAL;
			break;
		case QUOTES: /* after 1 or 2 opening quotes */
			if (ch == sc->quote && sc->run == 1) {
				sc->run = 2;
				break;
			}
			if (ch == sc->quote) {
				sc->state = LONG_STRING;
				sc->run = 0;
				break;
			}
			sc->state = sc->run == 2 ? AFTER_STRING : STRING;
			sc->escape = 0;
			goto again;
		case STRING:
			if (sc->escape)
				sc->escape = 0;
			else if (ch == '\\')
				sc->escape = 1;
			else if (ch == sc->quote)
				sc->state = AFTER_STRING;
			else if (ch == '\n')
				sc->state = NORMAL; /* raptor reports the broken string */
			break;
		case LONG_STRING: /* closed by the last of three or more quotes */
			if (sc->escape) {
				sc->escape = 0;
			} else if (ch == sc->quote) {
				sc->run++;
			} else if (sc->run >= 3) {
				sc->state = AFTER_STRING;
				goto again;
			} else {
				sc->run = 0;
				if (ch == '\\')
					sc->escape = 1;
			}
			break;
		case AFTER_STRING:
			if (ch == '@') {
				sc->state = LANG;
				sc->tag_len = 0;
				sc->tag_line = sc->line;
				sc->tag_col = sc->col + 1;
				break;
			}
			sc->state = NORMAL;
			goto again;
		case LANG:
			if (is_alnum(ch) || ch == '-') {
				if (sc->tag_len < sizeof(sc->tag))
					sc->tag[sc->tag_len] = (char)ch;
				sc->tag_len++;
				break;
			}
			if (end_tag(sc) < 0)
				return -1;
			sc->state = NORMAL;
			goto again;
		}
	}
	if (eof && (sc->state == LANG || (sc->state == LONG_STRING && sc->run >= 3))) {
		if (sc->state == LANG && end_tag(sc) < 0)
			return -1;
		sc->state = NORMAL;
	}
	return 0;
}
