/*
 * force_portable.c - linked into a second build of a crypto test program
 * (tests/meson.build: test_mldsa_portable) to run it on lib/crypto's
 * portable code paths on a machine whose CPU would choose the AVX2 ones
 * (lib/crypto/sha3x4.h): every vector then runs both ways.
 */
#include "crypto/sha3x4.h"

static void __attribute__((constructor))
force_portable(void)
{
	dot_crypto_set_avx2(0);
}
