/* SPDX-License-Identifier: MIT */
/*
 * harness: what the fuzz targets share. A fuzz target is one
 * LLVMFuzzerTestOneInput(); libFuzzer calls it, or replay.c does in the plain
 * build. A property that does not hold calls fuzz_fail(), which prints the
 * property and aborts so that both libFuzzer and the replay test report it.
 * The chunker splits a body into feeds whose sizes follow a seed taken from
 * the input; the recording sink checks the form_sink protocol and logs the
 * fields so that two parses of the same body can be compared.
 */
#ifndef CHUTE_FUZZ_HARNESS_H
#define CHUTE_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "property failed: what" and aborts. */
#define fuzz_check(cond, what) \
	do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, (what)); \
	} while (0)
_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* A NUL-terminated heap copy of data (aborts on ENOMEM). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* Feed sizes from a 16-bit seed: a maximum size (1 byte up to everything
 * at once) and a pseudo-random sequence below it. */
struct fuzz_chunker {
	uint32_t state;
	size_t max;
};
void fuzz_chunker_init(struct fuzz_chunker *ch, uint16_t seed);
/* The next feed size, 1 to min(max, left); 0 when left is 0. */
size_t fuzz_chunker_next(struct fuzz_chunker *ch, size_t left);

/* A form_sink that checks the protocol (begin, data..., end; a name of at
 * most FORM_NAME_MAX bytes; slices of at most slice_max bytes) and logs each
 * field unambiguously, data slices joined. Fields named FAILB, FAILD, FAILE
 * make begin, data (when there is data) or end fail with EIO. */
struct fuzz_log {
	struct form_sink sink;
	unsigned char *buf;
	size_t len, cap;
	bool in_field;
	bool fail_data, fail_end;
	size_t slice_max;
	size_t fields;
};
void fuzz_log_init(struct fuzz_log *log, size_t slice_max);
void fuzz_log_fini(struct fuzz_log *log);
bool fuzz_log_equal(const struct fuzz_log *a, const struct fuzz_log *b);

#endif
