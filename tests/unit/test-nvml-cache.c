/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NVML answers: folding them into the inventory (nvml_apply), the cache
 * key and the on-disk cache (nvml_cache_store / nvml_cache_load) in a
 * temporary directory made for each test and removed by its teardown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/nvml.h"
#include "nvcr.h"

#define UUID0 "GPU-e3b0c7b2-9fb4-4f77-923c-58bead90777d"
#define UUID1 "GPU-7fdf6170-9b01-47d3-b93b-2ad422a236bf"
#define UUID2 "GPU-a31f8fae-b388-445d-b435-80f0415164d4"
#define MIG0 "MIG-47ed5c16-62ac-42e4-9aab-6e33b044014f"
#define MIG1 "MIG-97012c9a-2a48-47c5-a571-27e63329a9c7"
#define MIG2 "MIG-cc975b31-c58c-4890-8332-a04367bb3248"
#define BOOT_ID "5b2f6a1c-8d3e-4f70-9a1b-2c3d4e5f6a7b"
#define CACHE_FILE "nvml-answers.json"

#define ANSWERS                                                                                    \
        "{\"driver\":\"580.159.04\",\"cuda\":\"13.0\",\"gpus\":["                                  \
        "{\"uuid\":\"" UUID0 "\",\"minor\":4,\"name\":\"NVIDIA H100 80GB HBM3\","                  \
        "\"brand\":\"Nvidia\",\"arch\":\"9.0\",\"mig_mode\":1,\"migs\":["                          \
        "{\"gi\":1,\"ci\":0,\"uuid\":\"" MIG0 "\"},{\"gi\":2,\"ci\":0,\"uuid\":\"" MIG1 "\"},"    \
        "{\"gi\":2,\"ci\":1,\"uuid\":\"" MIG2 "\"}]},"                                             \
        "{\"uuid\":\"" UUID1 "\",\"minor\":6,\"brand\":\"Tesla\",\"arch\":\"8.0\","                \
        "\"mig_mode\":0,\"migs\":[]}]}"

/* ------------------------------------------------------------ inventories */

static char *xstrdup(const char *s)
{
        char *d = strdup(s);

        assert_non_null(d);
        return d;
}

/* Two GPUs in bus order (minors 4 and 6); GPU 0 with gi1/ci0, gi2/ci0, gi2/ci1, no UUIDs yet. */
static struct nvcr_inventory *inv_new(void)
{
        struct nvcr_inventory *inv = calloc(1, sizeof(*inv));
        static const struct {
                const char *uuid, *bus;
                unsigned minor;
        } facts[] = {
                {UUID0, "00000000:07:00.0", 4},
                {UUID1, "00000000:0f:00.0", 6},
        };

        assert_non_null(inv);
        inv->driver_version = xstrdup("580.159.04");
        inv->ngpus = 2;
        inv->gpus = calloc(inv->ngpus, sizeof(*inv->gpus));
        assert_non_null(inv->gpus);
        for (size_t i = 0; i < inv->ngpus; i++) {
                inv->gpus[i].index = (unsigned)i;
                inv->gpus[i].minor = facts[i].minor;
                inv->gpus[i].uuid = xstrdup(facts[i].uuid);
                inv->gpus[i].bus_id = xstrdup(facts[i].bus);
        }
        inv->gpus[0].nmigs = 3;
        inv->gpus[0].migs = calloc(3, sizeof(struct nvcr_mig));
        assert_non_null(inv->gpus[0].migs);
        inv->gpus[0].migs[0].gi = 1;
        inv->gpus[0].migs[1].gi = 2;
        inv->gpus[0].migs[2].gi = 2;
        inv->gpus[0].migs[2].ci = 1;
        inv->gpus[0].mig_enabled = true;
        return inv;
}

static void set_str(char **field, const char *value)
{
        free(*field);
        *field = value ? xstrdup(value) : NULL;
}

/* ------------------------------------------------------------ temp trees */

struct fixture {
        char dir[64];
        char cache[PATH_MAX];
        char oldcwd[PATH_MAX];
        struct nvcr_ctx *ctx;
        struct nvcr_inventory *inv;
        char log[4096]; /* everything logged, one message a line */
        int nlog;
};

static void log_cb(void *userdata, enum nvcr_log_level level, const char *file, int line,
                   const char *msg)
{
        struct fixture *f = userdata;
        size_t used = strlen(f->log);

        (void)level;
        (void)file;
        (void)line;
        f->nlog++;
        (void)snprintf(f->log + used, sizeof(f->log) - used, "%s\n", msg);
}

static void path_in(const struct fixture *f, const char *rel, char *buf, size_t size)
{
        (void)snprintf(buf, size, "%s/%s", f->dir, rel);
}

static void write_at(const struct fixture *f, const char *rel, const char *text)
{
        char path[PATH_MAX];
        FILE *fp;

        path_in(f, rel, path, sizeof(path));
        fp = fopen(path, "we");
        assert_non_null(fp);
        assert_true(fputs(text, fp) >= 0);
        assert_int_equal(fclose(fp), 0);
}

static void mkdir_in(const struct fixture *f, const char *rel)
{
        char path[PATH_MAX];

        path_in(f, rel, path, sizeof(path));
        assert_int_equal(mkdir(path, 0755), 0);
}

static int fixture_setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        strcpy(f->dir, "/tmp/nvcr-test-nvml-cache-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        mkdir_in(f, "sys");
        mkdir_in(f, "sys/kernel");
        mkdir_in(f, "sys/kernel/random");
        write_at(f, "sys/kernel/random/boot_id", BOOT_ID "\n");
        path_in(f, "cache", f->cache, sizeof(f->cache));
        assert_non_null(getcwd(f->oldcwd, sizeof(f->oldcwd)));
        assert_int_equal(nvcr_ctx_new(&f->ctx, NULL), 0);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_PROC, f->dir, NULL), 0);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, f->cache, NULL), 0);
        nvcr_ctx_set_log(f->ctx, log_cb, f);
        f->inv = inv_new();
        *state = f;
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int fixture_teardown(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(chdir(f->oldcwd), 0);
        nvcr_inventory_free(f->inv);
        nvcr_ctx_free(f->ctx);
        assert_int_equal(nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
        free(f);
        return 0;
}

static char *key_of(struct fixture *f)
{
        struct nvcr_err err = {0};
        char *key = NULL;

        assert_int_equal(nvml_cache_key(f->ctx, f->inv, &key, &err), 0);
        assert_non_null(key);
        return key;
}

/* Number of directory entries (other than . and ..) of an existing directory. */
static int count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        n++;
        (void)closedir(d);
        return n;
}

static void cache_file(const struct fixture *f, char *buf, size_t size)
{
        (void)snprintf(buf, size, "%s/%s", f->cache, CACHE_FILE);
}

static void expect_miss(struct fixture *f, const char *key)
{
        char *json = (char *)"untouched";

        assert_int_equal(nvml_cache_load(f->ctx, key, &json), -ENOENT);
        assert_string_equal(json, "untouched");
}

static void expect_hit(struct fixture *f, const char *key, const char *answers)
{
        char *json = NULL;
        json_object *got, *want;

        assert_int_equal(nvml_cache_load(f->ctx, key, &json), 0);
        assert_non_null(json);
        got = json_tokener_parse(json);
        want = json_tokener_parse(answers);
        assert_non_null(got);
        assert_non_null(want);
        assert_true(json_object_equal(got, want));
        json_object_put(got);
        json_object_put(want);
        free(json);
}

/* --------------------------------------------------------------- nvml_apply */

static void test_apply(void **state)
{
        struct fixture *f = *state;
        struct nvcr_inventory *inv = f->inv;
        struct nvcr_err err = {0};

        /* NVML says "GPU-…" in any case; procfs in lower case here. */
        set_str(&inv->gpus[0].uuid, "GPU-E3B0C7B2-9FB4-4F77-923C-58BEAD90777D");
        assert_int_equal(nvml_apply(inv, ANSWERS, &err), 0);
        assert_int_equal(err.code, 0);
        assert_string_equal(inv->cuda_version, "13.0");
        assert_string_equal(inv->gpus[0].brand, "Nvidia");
        assert_string_equal(inv->gpus[0].arch, "9.0");
        assert_true(inv->gpus[0].mig_enabled);
        assert_string_equal(inv->gpus[0].migs[0].uuid, MIG0);
        assert_string_equal(inv->gpus[0].migs[1].uuid, MIG1);
        assert_string_equal(inv->gpus[0].migs[2].uuid, MIG2);
        assert_string_equal(inv->gpus[1].brand, "Tesla");
        assert_string_equal(inv->gpus[1].arch, "8.0");
        assert_false(inv->gpus[1].mig_enabled);
        /* procfs facts are not NVML's to change. */
        assert_string_equal(inv->driver_version, "580.159.04");
        assert_string_equal(inv->gpus[0].bus_id, "00000000:07:00.0");
        assert_int_equal(inv->gpus[0].minor, 4);
}

static void test_apply_matches_by_uuid(void **state)
{
        struct fixture *f = *state;
        struct nvcr_inventory *inv = f->inv;
        /* NVML's order (by minor here) is not the inventory's; a GPU procfs lacks is ignored. */
        static const char json[] =
                "{\"gpus\":["
                "{\"uuid\":\"" UUID2 "\",\"brand\":\"Quadro\",\"arch\":\"7.5\"},"
                "{\"uuid\":\"" UUID1 "\",\"brand\":\"Tesla\",\"arch\":\"8.0\"},"
                "{\"uuid\":\"gpu-e3b0c7b2-9fb4-4f77-923c-58bead90777d\",\"brand\":\"Nvidia\","
                "\"arch\":\"9.0\"}]}";

        assert_int_equal(nvml_apply(inv, json, NULL), 0);
        assert_null(inv->cuda_version);
        assert_string_equal(inv->gpus[0].brand, "Nvidia");
        assert_string_equal(inv->gpus[0].arch, "9.0");
        assert_string_equal(inv->gpus[1].brand, "Tesla");
        assert_string_equal(inv->gpus[1].arch, "8.0");
        assert_int_equal(inv->ngpus, 2);
        /* No "migs": the MIG UUIDs stay unknown; no "mig_mode": unchanged. */
        for (size_t j = 0; j < inv->gpus[0].nmigs; j++)
                assert_null(inv->gpus[0].migs[j].uuid);
        assert_true(inv->gpus[0].mig_enabled);
}

static void test_apply_migs_by_gi_ci(void **state)
{
        struct fixture *f = *state;
        struct nvcr_inventory *inv = f->inv;
        /* NVML lists them in another order, with one procfs does not have (gi 3). */
        static const char json[] =
                "{\"gpus\":[{\"uuid\":\"" UUID0 "\",\"migs\":["
                "{\"gi\":2,\"ci\":1,\"uuid\":\"MIG-c\"},"
                "{\"gi\":3,\"ci\":0,\"uuid\":\"MIG-x\"},"
                "{\"gi\":1,\"ci\":0,\"uuid\":\"MIG-a\"}]}]}";

        assert_int_equal(nvml_apply(inv, json, NULL), 0);
        assert_string_equal(inv->gpus[0].migs[0].uuid, "MIG-a");
        assert_null(inv->gpus[0].migs[1].uuid);
        assert_string_equal(inv->gpus[0].migs[2].uuid, "MIG-c");
        assert_int_equal(inv->gpus[0].nmigs, 3);
        assert_null(inv->gpus[1].migs);

        /* Applying again replaces (the old strings are freed: ASan sees a leak otherwise). */
        assert_int_equal(nvml_apply(inv, ANSWERS, NULL), 0);
        assert_string_equal(inv->gpus[0].migs[0].uuid, MIG0);
        assert_string_equal(inv->gpus[0].migs[1].uuid, MIG1);
        assert_string_equal(inv->gpus[0].migs[2].uuid, MIG2);
}

static void test_apply_malformed(void **state)
{
        struct fixture *f = *state;
        static const char *const bad[] = {"", "{", "{\"gpus\":[", "[]", "null", "42",
                                          "\"text\"", "not json at all"};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct nvcr_err err = {0};

                assert_int_equal(nvml_apply(f->inv, bad[i], &err), -EPROTO);
                assert_int_equal(err.code, EPROTO);
                assert_true(err.msg[0] != '\0');
                assert_int_equal(nvml_apply(f->inv, bad[i], NULL), -EPROTO);
        }
        assert_null(f->inv->cuda_version);
        assert_null(f->inv->gpus[0].brand);
}

static void test_apply_wrong_types(void **state)
{
        struct fixture *f = *state;
        struct nvcr_inventory *inv = f->inv;
        static const char *const docs[] = {
                "{\"cuda\":13,\"gpus\":{\"uuid\":\"" UUID0 "\"}}",
                "{\"cuda\":null,\"gpus\":\"" UUID0 "\"}",
                "{\"gpus\":[null,5,\"x\",[],{\"uuid\":5,\"brand\":\"B\"},{\"brand\":\"B\"}]}",
                "{\"gpus\":[{\"uuid\":\"" UUID0 "\",\"brand\":14,\"arch\":[\"9.0\"],"
                "\"mig_mode\":\"1\",\"migs\":{\"gi\":1,\"ci\":0,\"uuid\":\"MIG-a\"}}]}",
                "{\"gpus\":[{\"uuid\":\"" UUID0 "\",\"mig_mode\":1.0,\"migs\":["
                "null,7,{\"gi\":\"1\",\"ci\":0,\"uuid\":\"MIG-a\"},"
                "{\"gi\":1,\"ci\":-1,\"uuid\":\"MIG-b\"},"
                "{\"gi\":4294967297,\"ci\":0,\"uuid\":\"MIG-c\"},"
                "{\"gi\":1,\"ci\":0,\"uuid\":7},{\"gi\":1,\"ci\":0}]}]}",
        };

        for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
                struct nvcr_err err = {0};

                if (nvml_apply(inv, docs[i], &err) != 0)
                        fail_msg("doc %zu: %s", i, err.msg);
        }
        assert_null(inv->cuda_version);
        for (size_t i = 0; i < inv->ngpus; i++) {
                assert_null(inv->gpus[i].brand);
                assert_null(inv->gpus[i].arch);
        }
        for (size_t j = 0; j < inv->gpus[0].nmigs; j++)
                assert_null(inv->gpus[0].migs[j].uuid);
        assert_true(inv->gpus[0].mig_enabled); /* "1" and 1.0 are not integers */
}

static void test_apply_no_gpus(void **state)
{
        struct nvcr_inventory inv = {0};
        (void)state;

        assert_int_equal(nvml_apply(&inv, ANSWERS, NULL), 0);
        assert_string_equal(inv.cuda_version, "13.0");
        free(inv.cuda_version);
}

/* ---------------------------------------------------------------- the key */

static void expect_key_changes(struct fixture *f, const char *before, const char *what)
{
        char *after = key_of(f);

        if (strcmp(before, after) == 0) {
                free(after);
                fail_msg("the key did not change with %s", what);
        }
        free(after);
}

static void test_key_stable(void **state)
{
        struct fixture *f = *state;
        char *a = key_of(f), *b = key_of(f);

        assert_string_equal(a, b);
        assert_non_null(strstr(a, BOOT_ID));
        assert_non_null(strstr(a, "580.159.04"));
        assert_non_null(strstr(a, UUID0));
        assert_non_null(strstr(a, UUID1));
        assert_null(strchr(a, '\n'));
        free(b);

        /* NVML's answers are not part of the key: it must be computable before them. */
        assert_int_equal(nvml_apply(f->inv, ANSWERS, NULL), 0);
        b = key_of(f);
        assert_string_equal(a, b);
        free(b);
        /* Neither is the cache directory. */
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, "", NULL), 0);
        b = key_of(f);
        assert_string_equal(a, b);
        free(b);
        free(a);
}

static void test_key_changes(void **state)
{
        struct fixture *f = *state;
        struct nvcr_inventory *inv = f->inv;
        char *k;
        struct nvcr_mig *m;

        k = key_of(f);
        set_str(&inv->driver_version, "580.159.05");
        expect_key_changes(f, k, "the driver version");
        free(k);

        k = key_of(f);
        set_str(&inv->gpus[1].uuid, UUID2);
        expect_key_changes(f, k, "a GPU UUID");
        free(k);

        k = key_of(f);
        set_str(&inv->gpus[1].bus_id, "00000000:10:00.0");
        expect_key_changes(f, k, "a bus id");
        free(k);

        k = key_of(f);
        inv->gpus[1].minor = 7;
        expect_key_changes(f, k, "a minor");
        free(k);

        /* Minors swapped between two GPUs. */
        k = key_of(f);
        inv->gpus[0].minor = 7;
        inv->gpus[1].minor = 4;
        expect_key_changes(f, k, "swapped minors");
        free(k);

        k = key_of(f);
        inv->gpus[0].migs[2].ci = 2;
        expect_key_changes(f, k, "a MIG compute instance");
        free(k);

        k = key_of(f);
        inv->gpus[0].nmigs = 2; /* the third stays allocated for the free */
        expect_key_changes(f, k, "one MIG device less");
        inv->gpus[0].nmigs = 3;
        free(k);

        k = key_of(f);
        m = calloc(1, sizeof(*m));
        assert_non_null(m);
        m->gi = 1;
        inv->gpus[1].migs = m;
        inv->gpus[1].nmigs = 1;
        expect_key_changes(f, k, "a MIG device on another GPU");
        free(k);

        k = key_of(f);
        inv->ngpus = 1; /* GPU 1 gone (restored below, so that the teardown frees it) */
        expect_key_changes(f, k, "a GPU less");
        inv->ngpus = 2;
        free(k);

        k = key_of(f);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_ROOT, "/run/driver-root", NULL), 0);
        expect_key_changes(f, k, "the driver root");
        free(k);
}

static void test_key_boot_id(void **state)
{
        struct fixture *f = *state;
        char *k = key_of(f), *k2, path[PATH_MAX];

        write_at(f, "sys/kernel/random/boot_id", "0c1d7e3a-1111-2222-3333-444455556666\n");
        expect_key_changes(f, k, "the boot id");
        k2 = key_of(f);
        assert_non_null(strstr(k2, "0c1d7e3a-1111-2222-3333-444455556666"));
        assert_null(strchr(k2, '\n'));
        free(k2);

        /* Without a boot id the key still exists, and differs from any with one. */
        path_in(f, "sys/kernel/random/boot_id", path, sizeof(path));
        assert_int_equal(unlink(path), 0);
        expect_key_changes(f, k, "a missing boot id");
        k2 = key_of(f);
        free(k2);
        free(k);

        /* And with a procfs that does not exist at all. */
        path_in(f, "no-proc", path, sizeof(path));
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_PROC, path, NULL), 0);
        k = key_of(f);
        free(k);
}

/* ----------------------------------------------------------------- the cache */

static void test_store_load(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f), path[PATH_MAX];
        struct stat st;

        expect_miss(f, key); /* nothing stored yet, and no directory */
        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_hit(f, key, ANSWERS);

        assert_int_equal(lstat(f->cache, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(st.st_uid, geteuid());
        cache_file(f, path, sizeof(path));
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        /* Written atomically: no temporary file left beside it. */
        assert_int_equal(count_entries(f->cache), 1);

        /* The loaded answers fill an inventory as the originals do. */
        {
                char *json = NULL;

                assert_int_equal(nvml_cache_load(f->ctx, key, &json), 0);
                assert_int_equal(nvml_apply(f->inv, json, NULL), 0);
                assert_string_equal(f->inv->gpus[0].migs[1].uuid, MIG1);
                assert_string_equal(f->inv->cuda_version, "13.0");
                free(json);
        }
        free(key);
}

static void test_other_key_misses(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f), *key2;
        static const char answers2[] = "{\"cuda\":\"12.8\",\"gpus\":[]}";

        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_miss(f, "nvcr-nvml-cache-v1|something else");
        expect_miss(f, "");
        write_at(f, "sys/kernel/random/boot_id", "0c1d7e3a-1111-2222-3333-444455556666\n");
        key2 = key_of(f);
        expect_miss(f, key2); /* after a reboot */
        expect_hit(f, key, ANSWERS);

        /* A new store replaces the old answers. */
        nvml_cache_store(f->ctx, key2, answers2);
        expect_hit(f, key2, answers2);
        expect_miss(f, key);
        assert_int_equal(count_entries(f->cache), 1);
        free(key2);
        free(key);
}

static void test_unsafe_file_mode(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f), path[PATH_MAX];

        nvml_cache_store(f->ctx, key, ANSWERS);
        cache_file(f, path, sizeof(path));
        assert_int_equal(chmod(path, 0666), 0);
        expect_miss(f, key);
        assert_int_equal(chmod(path, 0620), 0);
        expect_miss(f, key);
        assert_int_equal(chmod(path, 0602), 0);
        expect_miss(f, key);
        /* Readable by others is fine, writable is what matters. */
        assert_int_equal(chmod(path, 0644), 0);
        expect_hit(f, key, ANSWERS);
        /* Owned by someone else. */
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(chown(path, 65534, 65534), 0);
        expect_miss(f, key);
        /* Storing again puts a safe file back. */
        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_hit(f, key, ANSWERS);
        free(key);
}

static void test_symlink_file(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f), path[PATH_MAX], target[PATH_MAX], buf[64];
        struct stat st;
        FILE *fp;

        nvml_cache_store(f->ctx, key, ANSWERS);
        /* A valid cache file elsewhere, linked in place of the real one. */
        cache_file(f, path, sizeof(path));
        path_in(f, "elsewhere.json", target, sizeof(target));
        assert_int_equal(rename(path, target), 0);
        assert_int_equal(symlink(target, path), 0);
        expect_miss(f, key);

        /* A store replaces the link and never writes through it. */
        nvml_cache_store(f->ctx, key, "{\"cuda\":\"1.0\"}");
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        expect_hit(f, key, "{\"cuda\":\"1.0\"}");
        fp = fopen(target, "re");
        assert_non_null(fp);
        assert_non_null(fgets(buf, sizeof(buf), fp));
        (void)fclose(fp);
        assert_null(strstr(buf, "\"1.0\""));
        free(key);
}

static void test_odd_files(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f), path[PATH_MAX], text[2048];

        assert_int_equal(mkdir(f->cache, 0700), 0);
        cache_file(f, path, sizeof(path));
        /* A directory in the file's place. */
        assert_int_equal(mkdir(path, 0700), 0);
        expect_miss(f, key);
        assert_int_equal(rmdir(path), 0);

        /* Garbage, the key of another shape, answers that are not an object. */
        write_at(f, "cache/" CACHE_FILE, "garbage");
        assert_int_equal(chmod(path, 0600), 0);
        expect_miss(f, key);
        (void)snprintf(text, sizeof(text), "{\"key\":\"%s\"}", key);
        write_at(f, "cache/" CACHE_FILE, text);
        expect_miss(f, key);
        (void)snprintf(text, sizeof(text), "{\"key\":\"%s\",\"answers\":[1]}", key);
        write_at(f, "cache/" CACHE_FILE, text);
        expect_miss(f, key);
        (void)snprintf(text, sizeof(text), "{\"key\":7,\"answers\":{}}");
        write_at(f, "cache/" CACHE_FILE, text);
        expect_miss(f, key);
        /* The same, well formed, is a hit: the cases above missed for their reason. */
        (void)snprintf(text, sizeof(text), "{\"key\":\"%s\",\"answers\":{\"cuda\":\"9.9\"}}", key);
        write_at(f, "cache/" CACHE_FILE, text);
        expect_hit(f, key, "{\"cuda\":\"9.9\"}");
        free(key);
}

static void test_dir_other_owner(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f);

        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_hit(f, key, ANSWERS);
        assert_int_equal(chown(f->cache, 65534, 65534), 0);
        expect_miss(f, key);

        /* A store into such a directory writes nothing. */
        {
                char path[PATH_MAX];

                cache_file(f, path, sizeof(path));
                assert_int_equal(unlink(path), 0);
        }
        nvml_cache_store(f->ctx, key, ANSWERS);
        assert_int_equal(count_entries(f->cache), 0);
        expect_miss(f, key);
        free(key);
}

static void test_dir_writable_by_others(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f), path[PATH_MAX];

        nvml_cache_store(f->ctx, key, ANSWERS);
        assert_int_equal(chmod(f->cache, 0770), 0);
        expect_miss(f, key);
        assert_int_equal(chmod(f->cache, 0707), 0);
        expect_miss(f, key);
        cache_file(f, path, sizeof(path));
        assert_int_equal(unlink(path), 0);
        nvml_cache_store(f->ctx, key, ANSWERS);
        assert_int_equal(count_entries(f->cache), 0);
        /* 0755 is trusted (nobody else can write into it). */
        assert_int_equal(chmod(f->cache, 0755), 0);
        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_hit(f, key, ANSWERS);
        free(key);
}

static void test_dir_symlink(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f), real[PATH_MAX];

        path_in(f, "real-cache", real, sizeof(real));
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, real, NULL), 0);
        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_hit(f, key, ANSWERS);
        /* The cache directory setting names a link to a good directory: not trusted. */
        assert_int_equal(symlink(real, f->cache), 0);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, f->cache, NULL), 0);
        expect_miss(f, key);
        free(key);
}

static void test_cache_off(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f);

        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, "", NULL), 0);
        assert_string_equal(nvcr_ctx_get(f->ctx, NVCR_SET_CACHE_DIR), "");
        /* Relative paths must not be made of "": work from inside the temp dir. */
        assert_int_equal(chdir(f->dir), 0);
        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_miss(f, key);
        assert_int_equal(access(CACHE_FILE, F_OK), -1);
        assert_int_equal(access(f->cache, F_OK), -1);
        assert_int_equal(count_entries(f->dir), 1); /* sys/ only */
        free(key);
}

static void test_unwritable_location(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f), path[PATH_MAX];

        /* mkdir fails in /proc: the store says so at debug level and does nothing. */
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, "/proc/nvcr-cache-test", NULL),
                         0);
        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_miss(f, key);
        assert_int_equal(access("/proc/nvcr-cache-test", F_OK), -1);
        assert_true(f->nlog >= 1);
        assert_non_null(strstr(f->log, "/proc/nvcr-cache-test"));

        /* A parent that does not exist is not created. */
        path_in(f, "no/such/dir", path, sizeof(path));
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, path, NULL), 0);
        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_miss(f, key);
        path_in(f, "no", path, sizeof(path));
        assert_int_equal(access(path, F_OK), -1);

        /* A file where the directory should be. */
        write_at(f, "cache", "not a directory");
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, f->cache, NULL), 0);
        nvml_cache_store(f->ctx, key, ANSWERS);
        expect_miss(f, key);
        free(key);
}

static void test_store_bad_answers(void **state)
{
        struct fixture *f = *state;
        char *key = key_of(f);

        nvml_cache_store(f->ctx, key, "{not json");
        expect_miss(f, key);
        free(key);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_apply),
                T(test_apply_matches_by_uuid),
                T(test_apply_migs_by_gi_ci),
                T(test_apply_malformed),
                T(test_apply_wrong_types),
                cmocka_unit_test(test_apply_no_gpus),
                T(test_key_stable),
                T(test_key_changes),
                T(test_key_boot_id),
                T(test_store_load),
                T(test_other_key_misses),
                T(test_unsafe_file_mode),
                T(test_symlink_file),
                T(test_odd_files),
                T(test_dir_other_owner),
                T(test_dir_writable_by_others),
                T(test_dir_symlink),
                T(test_cache_off),
                T(test_unwritable_location),
                T(test_store_bad_answers),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
