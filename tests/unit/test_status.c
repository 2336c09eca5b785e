/*
 * test_status.c - dot's reader of a node's status answer (cli/status.c):
 * every seed of tests/fuzz/corpus/status gets its verdict (ok-* parse,
 * bad-* are refused with DOT_EAPI_FORMAT naming the field), and the
 * fields of a cluster node's answer are read as they were written.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "status.h"

#define CORPUS "tests/fuzz/corpus/status"

static int
read_all(const char *path, uint8_t **out, size_t *n)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		if (f)
			fclose(f);
		return -1;
	}
	*out = malloc((size_t)len + 1);
	if (*out == NULL || fread(*out, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(*out);
		return -1;
	}
	fclose(f);
	*n = (size_t)len;
	return 0;
}

static void
corpus_verdicts(void)
{
	DIR *d = opendir(CORPUS);
	struct dirent *de;
	int ok = 0, bad = 0;

	REQUIRE(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char path[512];
		struct cli_status st;
		struct dot_err e = {0};
		uint8_t *b;
		size_t n;
		int rv;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, de->d_name);
		REQUIRE(read_all(path, &b, &n) == 0);
		rv = cli_status_parse(b, n, &st, &e);
		if (strncmp(de->d_name, "ok-", 3) == 0) {
			if (rv != DOT_OK)
				printf("# %s: %s\n", de->d_name, e.msg);
			CHECK_RC(rv, DOT_OK);
			ok++;
		} else {
			if (rv != DOT_EAPI_FORMAT)
				printf("# %s accepted\n", de->d_name);
			CHECK_RC(rv, DOT_EAPI_FORMAT);
			CHECK(strstr(e.msg, "malformed") != NULL);
			bad++;
		}
		free(b);
	}
	closedir(d);
	CHECK(ok >= 5);
	CHECK(bad >= 10);
}

static void
cluster_fields(void)
{
	struct cli_status st;
	struct dot_err e = {0};
	uint8_t *b;
	size_t n;

	REQUIRE(read_all(CORPUS "/ok-later-key", &b, &n) == 0);
	REQUIRE_RC(cli_status_parse(b, n, &st, &e), DOT_OK);
	CHECK(st.index == 42 && st.time == 1800000000);
	CHECK(st.cluster_id[0] == 0x11 && st.state_hash[31] == 0x22);
	CHECK(strcmp(st.admin, "admin") == 0);
	CHECK(strcmp(st.version, "0.1.0") == 0);
	CHECK(st.has_raft && strcmp(st.raft_role, "leader") == 0);
	CHECK(st.raft_term == 3 && st.raft_id == 1 && st.leader_id == 1);
	CHECK(strcmp(st.leader_addr, "127.0.0.1:7400") == 0);
	CHECK(st.raft_applied == 42);
	CHECK(st.has_voters && st.nvoters == 3 && st.voters[2] == 3);
	CHECK(strcmp(st.policy, "hybrid") == 0);
	free(b);
	/* a field named in the refusal */
	REQUIRE(read_all(CORPUS "/bad-short-hash", &b, &n) == 0);
	CHECK_RC(cli_status_parse(b, n, &st, &e), DOT_EAPI_FORMAT);
	CHECK(strstr(e.msg, "4 (state hash)") != NULL);
	free(b);
}

T_MAIN(T_CASE(corpus_verdicts), T_CASE(cluster_fields))
