// SPDX-License-Identifier: MIT
#include "print.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16

static struct {
	bool json, pretty;
	bool mute;         /* text: print nothing (--no-headings around headings) */
	FILE *out;
	json_t *stack[MAX_DEPTH];
	int depth;
} P;

void pr_init(bool json, bool pretty, FILE *out)
{
	P.json = json;
	P.pretty = pretty;
	P.mute = false;
	P.out = out;
	P.depth = 0;
	if (json)
		P.stack[P.depth++] = json_object();
}

bool pr_is_json(void)
{
	return P.json;
}

/* Attach @v under @key to the innermost object, or append to an array. */
static void put(const char *key, json_t *v)
{
	json_t *top = P.stack[P.depth - 1];

	if (json_is_array(top))
		json_array_append_new(top, v);
	else
		json_object_set_new(top, key ? key : "?", v);
}

static void push(const char *key, json_t *v)
{
	put(key, json_incref(v));
	if (P.depth < MAX_DEPTH)
		P.stack[P.depth++] = v;
	json_decref(v);
}

void pr_obj_open(const char *key)
{
	if (P.json)
		push(key, json_object());
}

void pr_arr_open(const char *key)
{
	if (P.json)
		push(key, json_array());
}

void pr_obj_close(void)
{
	if (P.json && P.depth > 1)
		P.depth--;
}

void pr_arr_close(void)
{
	pr_obj_close();
}

void pr_hex(const char *key, const char *fmt, uint64_t v)
{
	char buf[24];

	if (P.json) {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
		put(key, json_string(buf));
	} else if (fmt && !P.mute) {
		fprintf(P.out, fmt, (unsigned long long)v);
	}
}

void pr_u64(const char *key, const char *fmt, uint64_t v)
{
	if (P.json)
		put(key, json_integer((json_int_t)v));
	else if (fmt && !P.mute)
		fprintf(P.out, fmt, (unsigned long long)v);
}

/*
 * Strings may come from a dump: no control bytes, no invalid UTF-8. Every
 * other byte (and the backslash, so that the text reads back unambiguously)
 * as \xNN, the one escape of every command's output (fdt too).
 */
char *pr_escape(const char *s)
{
	size_t n = s ? strlen(s) : 0, k = 0;
	char *c = malloc(4 * n + 1);

	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];

		if (b < 0x20 || b >= 0x7f || b == '\\')
			k += (size_t)sprintf(c + k, "\\x%02x", b);
		else
			c[k++] = (char)b;
	}
	c[k] = '\0';
	return c;
}

void pr_text_escaped(const char *fmt, const char *s)
{
	char *c;

	if (P.json || P.mute || !(c = pr_escape(s)))
		return;
	fprintf(P.out, fmt, c);
	free(c);
}

void pr_str(const char *key, const char *fmt, const char *s)
{
	char *c = pr_escape(s);

	if (!c)
		return;
	if (P.json)
		put(key, json_string(c));
	else if (fmt && !P.mute)
		fprintf(P.out, fmt, c);
	free(c);
}

void pr_bool(const char *key, const char *fmt, bool v)
{
	if (P.json)
		put(key, json_boolean(v));
	else if (fmt && !P.mute)
		fprintf(P.out, fmt, v ? "yes" : "no");
}

void pr_null(const char *key)
{
	if (P.json)
		put(key, json_null());
}

bool pr_mute(bool mute)
{
	bool was = P.mute;

	P.mute = mute;
	return was;
}

void pr_text(const char *fmt, ...)
{
	va_list ap;

	if (P.json || P.mute)
		return;
	va_start(ap, fmt);
	vfprintf(P.out, fmt, ap);
	va_end(ap);
}

json_t *pr_detach(void)
{
	json_t *doc = P.json && P.depth ? P.stack[0] : NULL;

	P.depth = 0;
	return doc;
}

int pr_finish(void)
{
	int rc = 0;

	if (P.json && P.depth) {
		rc = json_dumpf(P.stack[0], P.out, P.pretty ? JSON_INDENT(2) : JSON_COMPACT);
		fputc('\n', P.out);
		json_decref(P.stack[0]);
		P.depth = 0;
	}
	return fflush(P.out) ? -1 : rc;
}
