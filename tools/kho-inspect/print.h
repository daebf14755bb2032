/* SPDX-License-Identifier: MIT */
/*
 * One printer for text and JSON, as iproute2's print_*(PRINT_ANY, ...):
 * every value is printed once, with its JSON key and its text format, so
 * the two outputs cannot drift. A NULL text format prints nothing in text
 * mode; pr_text() prints in text mode only.
 */
#ifndef KHO_INSPECT_PRINT_H
#define KHO_INSPECT_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The JSON document's version: bumped on every incompatible change. */
#define KHO_JSON_SCHEMA 1

void pr_init(bool json, bool pretty, FILE *out);
bool pr_is_json(void);
/* Writes the JSON document (in JSON mode). returns: 0 or -1 on error. */
int pr_finish(void);
/* Text: print nothing until unmuted (JSON is unaffected). returns: the
 * previous state. */
bool pr_mute(bool mute);
/* JSON mode: the document built so far, instead of printing it (the caller
 * owns it). */
struct json_t *pr_detach(void);

void pr_obj_open(const char *key);
void pr_obj_close(void);
void pr_arr_open(const char *key);
void pr_arr_close(void);

/* Addresses and byte sizes: "0x..." strings in JSON. */
void pr_hex(const char *key, const char *fmt, uint64_t v);
void pr_u64(const char *key, const char *fmt, uint64_t v);
void pr_str(const char *key, const char *fmt, const char *s);
void pr_bool(const char *key, const char *fmt, bool v);
/* JSON null (nothing in text mode): a value that cannot be known. */
void pr_null(const char *key);
/* @s with every byte a terminal could act on as \\xNN (malloc'd, or NULL) */
char *pr_escape(const char *s);
/* text only: @fmt with one %s, @s escaped (a string from the dump) */
void pr_text_escaped(const char *fmt, const char *s);
void pr_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
