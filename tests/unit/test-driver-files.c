/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Driver file discovery through the public API, on simulated GPU hosts built
 * by tests/fixtures/mksimhost (path in $NVCR_MKSIMHOST) into a temporary
 * directory per test. The expected facts come from the tree's sim.env.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nvcr.h"

#define MAX_ENV 256

struct logline {
        enum nvcr_log_level level;
        char *msg;
};

struct fixture {
        char top[64];        /* mkdtemp, 0755 */
        char out[PATH_MAX];  /* top/sim: mksimhost's OUTDIR */
        char root[PATH_MAX]; /* out/root */
        char *env_keys[MAX_ENV], *env_values[MAX_ENV];
        size_t nenv;
        struct nvcr_ctx *ctx;
        struct nvcr_inventory *inv;
        struct logline *log;
        size_t nlog;
};

/* --------------------------------------------------------------- fixture */

static int fixture_setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        strcpy(f->top, "/tmp/nvcr-test-driver-files-XXXXXX");
        assert_non_null(mkdtemp(f->top));
        /* The tree must be readable by others (NVML runs unprivileged in other tests). */
        assert_int_equal(chmod(f->top, 0755), 0);
        (void)snprintf(f->out, sizeof(f->out), "%s/sim", f->top);
        (void)snprintf(f->root, sizeof(f->root), "%s/root", f->out);
        /* A pipe directory from the environment would change the IPC list. */
        (void)unsetenv("CUDA_MPS_PIPE_DIRECTORY");
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

        nvcr_inventory_free(f->inv);
        nvcr_ctx_free(f->ctx);
        for (size_t i = 0; i < f->nenv; i++) {
                free(f->env_keys[i]);
                free(f->env_values[i]);
        }
        for (size_t i = 0; i < f->nlog; i++)
                free(f->log[i].msg);
        free(f->log);
        assert_int_equal(nftw(f->top, rm_entry, 32, FTW_DEPTH | FTW_PHYS), 0);
        free(f);
        return 0;
}

static void log_cb(void *userdata, enum nvcr_log_level level, const char *file, int line,
                   const char *msg)
{
        struct fixture *f = userdata;
        struct logline *n = realloc(f->log, (f->nlog + 1) * sizeof(*n));

        (void)file;
        (void)line;
        assert_non_null(n);
        f->log = n;
        n[f->nlog].level = level;
        n[f->nlog].msg = strdup(msg);
        assert_non_null(n[f->nlog].msg);
        f->nlog++;
}

/* Warnings whose message contains `part`. */
static size_t count_warnings(const struct fixture *f, const char *part)
{
        size_t n = 0;

        for (size_t i = 0; i < f->nlog; i++)
                if (f->log[i].level >= NVCR_LOG_WARNING && strstr(f->log[i].msg, part) != NULL)
                        n++;
        return n;
}

static void parse_sim_env(struct fixture *f)
{
        char path[PATH_MAX], line[4096];
        FILE *fp;

        (void)snprintf(path, sizeof(path), "%s/sim.env", f->out);
        fp = fopen(path, "re");
        assert_non_null(fp);
        while (fgets(line, sizeof(line), fp) != NULL) {
                char *eq = strchr(line, '='), *v;
                size_t len;

                if (line[0] == '#' || eq == NULL)
                        continue;
                *eq = '\0';
                v = eq + 1;
                len = strcspn(v, "\n");
                v[len] = '\0';
                if (len >= 2 && v[0] == '\'' && v[len - 1] == '\'') {
                        v[len - 1] = '\0';
                        v++;
                }
                assert_true(f->nenv < MAX_ENV);
                f->env_keys[f->nenv] = strdup(line);
                f->env_values[f->nenv] = strdup(v);
                assert_non_null(f->env_keys[f->nenv]);
                assert_non_null(f->env_values[f->nenv]);
                f->nenv++;
        }
        (void)fclose(fp);
}

static const char *sim(const struct fixture *f, const char *key)
{
        for (size_t i = 0; i < f->nenv; i++)
                if (strcmp(f->env_keys[i], key) == 0)
                        return f->env_values[i];
        fail_msg("sim.env has no %s", key);
        return NULL;
}

static const char *simf(const struct fixture *f, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static const char *simf(const struct fixture *f, const char *fmt, ...)
{
        char key[128];
        va_list ap;

        va_start(ap, fmt);
        (void)vsnprintf(key, sizeof(key), fmt, ap);
        va_end(ap);
        return sim(f, key);
}

static unsigned simu(const struct fixture *f, const char *key)
{
        return (unsigned)strtoul(sim(f, key), NULL, 10);
}

/*
 * Builds a simulated host with mksimhost's options (NULL-terminated) and a
 * context pointing at it. Skips the test when $NVCR_MKSIMHOST is unset.
 */
static void make_sim(struct fixture *f, ...)
{
        const char *tool = getenv("NVCR_MKSIMHOST");
        char *argv[32];
        char devdir[PATH_MAX], path[PATH_MAX];
        size_t argc = 0;
        va_list ap;
        pid_t pid;
        int status;

        if (tool == NULL || tool[0] == '\0') {
                print_message("NVCR_MKSIMHOST is not set: no simulated host\n");
                skip();
        }
        argv[argc++] = (char *)tool;
        va_start(ap, f);
        for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
                assert_true(argc < 30);
                argv[argc++] = (char *)a;
        }
        va_end(ap);
        argv[argc++] = f->out;
        argv[argc] = NULL;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                if (null >= 0)
                        (void)dup2(null, STDOUT_FILENO);
                execv(tool, argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("%s failed (status %d)", tool, status);
        parse_sim_env(f);
        assert_string_equal(sim(f, "SIM_ROOT"), f->root);

        assert_int_equal(nvcr_ctx_new(&f->ctx, NULL), 0);
        nvcr_ctx_set_log(f->ctx, log_cb, f);
        (void)snprintf(devdir, sizeof(devdir), "%s/dev", f->root);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_ROOT, f->root, NULL), 0);
        (void)snprintf(path, sizeof(path), "%s/proc", f->out);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_PROC, path, NULL), 0);
        (void)snprintf(path, sizeof(path), "%s/sys", f->out);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_SYS, path, NULL), 0);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_DEV, devdir, NULL), 0);
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_CACHE_DIR, "", NULL), 0);
}

static void load(struct fixture *f)
{
        struct nvcr_err err = {0};
        int r;

        nvcr_inventory_free(f->inv);
        f->inv = NULL;
        r = nvcr_inventory_load(f->ctx, NVCR_INV_FILES, &f->inv, &err);
        if (r != 0)
                fail_msg("nvcr_inventory_load: %d %s", r, err.msg);
        assert_non_null(f->inv);
}

/* A path inside the simulated root (rel starts with "/"). */
static void in_root(const struct fixture *f, const char *rel, char *buf, size_t size)
{
        (void)snprintf(buf, size, "%s%s", f->root, rel);
}

/* ------------------------------------------------------------ file checks */

static const struct nvcr_driver_file *find_path(const struct nvcr_inventory *inv,
                                                enum nvcr_file_kind kind, const char *path)
{
        const struct nvcr_driver_file *found = NULL;

        for (size_t i = 0; i < inv->nfiles; i++) {
                if (inv->files[i].kind != kind || strcmp(inv->files[i].path, path) != 0)
                        continue;
                if (found != NULL)
                        fail_msg("%s is listed twice", path);
                found = &inv->files[i];
        }
        return found;
}

static const struct nvcr_driver_file *expect_file(const struct nvcr_inventory *inv,
                                                  enum nvcr_file_kind kind, const char *path)
{
        const struct nvcr_driver_file *df = find_path(inv, kind, path);

        if (df == NULL)
                fail_msg("%s (kind %d) was not found", path, (int)kind);
        return df;
}

/* Files of `kind` whose base name starts with `base` (e.g. "libcuda.so."). */
static size_t count_base(const struct nvcr_inventory *inv, enum nvcr_file_kind kind,
                         const char *base)
{
        size_t n = 0;

        for (size_t i = 0; i < inv->nfiles; i++) {
                const char *b = strrchr(inv->files[i].path, '/');

                if (inv->files[i].kind == kind && b && strncmp(b + 1, base, strlen(base)) == 0)
                        n++;
        }
        return n;
}

static size_t count_kind(const struct nvcr_inventory *inv, enum nvcr_file_kind kind)
{
        size_t n = 0;

        for (size_t i = 0; i < inv->nfiles; i++)
                n += inv->files[i].kind == kind;
        return n;
}

/*
 * Every path of the space-separated list is a file of `kind` whose caps
 * include `caps`. Returns how many paths the list has.
 */
static size_t expect_list(const struct nvcr_inventory *inv, enum nvcr_file_kind kind,
                          const char *list, unsigned caps)
{
        char *copy = strdup(list), *save = NULL;
        size_t n = 0;

        assert_non_null(copy);
        for (char *p = strtok_r(copy, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
                const struct nvcr_driver_file *df = find_path(inv, kind, p);

                if (df == NULL) {
                        char msg[PATH_MAX];

                        (void)snprintf(msg, sizeof(msg), "%s (kind %d) was not found", p,
                                       (int)kind);
                        free(copy);
                        fail_msg("%s", msg);
                }
                if ((df->caps & caps) != caps) {
                        unsigned got = df->caps;

                        free(copy);
                        fail_msg("%s: caps %#x lack %#x", df->path, got, caps);
                }
                n++;
        }
        free(copy);
        return n;
}

/* The soname recorded for a file is what the ELF says. */
static void expect_soname(const struct nvcr_driver_file *df, const char *soname)
{
        assert_non_null(df->soname);
        assert_string_equal(df->soname, soname);
}

/* No path carries the host prefix of the simulated root. */
static void expect_root_relative(const struct fixture *f)
{
        for (size_t i = 0; i < f->inv->nfiles; i++) {
                const char *p = f->inv->files[i].path;

                assert_true(p[0] == '/');
                if (strncmp(p, f->top, strlen(f->top)) == 0)
                        fail_msg("%s is not relative to the driver root", p);
                assert_null(strstr(p, "//"));
                assert_null(strstr(p, "/../"));
        }
}

/* Native libraries: exactly the ones mksimhost installed, each with its capabilities. */
static void expect_native_libs(const struct fixture *f)
{
        size_t n = 0;

        n += expect_list(f->inv, NVCR_FILE_LIB, sim(f, "SIM_LIBS_UTILITY"), NVCR_CAP_UTILITY);
        n += expect_list(f->inv, NVCR_FILE_LIB, sim(f, "SIM_LIBS_COMPUTE"),
                         NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO);
        n += expect_list(f->inv, NVCR_FILE_LIB, sim(f, "SIM_LIBS_VIDEO"), NVCR_CAP_VIDEO);
        n += expect_list(f->inv, NVCR_FILE_LIB, sim(f, "SIM_LIBS_GRAPHICS"),
                         NVCR_CAP_GRAPHICS | NVCR_CAP_DISPLAY);
        n += expect_list(f->inv, NVCR_FILE_LIB, sim(f, "SIM_LIBS_NGX"), NVCR_CAP_NGX);
        assert_int_equal(count_kind(f->inv, NVCR_FILE_LIB), n);
}

static void expect_compat32_libs(const struct fixture *f)
{
        size_t n = expect_list(f->inv, NVCR_FILE_LIB32, sim(f, "SIM_LIBS_COMPAT32"),
                               NVCR_CAP_COMPAT32);

        assert_int_equal(count_kind(f->inv, NVCR_FILE_LIB32), n);
}

static void expect_no_glvnd(const struct fixture *f)
{
        assert_int_equal(count_base(f->inv, NVCR_FILE_LIB, "libGL.so"), 0);
        assert_int_equal(count_base(f->inv, NVCR_FILE_LIB32, "libGL.so"), 0);
        for (size_t i = 0; i < f->inv->nfiles; i++)
                assert_null(strstr(f->inv->files[i].path, "libGL.so.1.7.0"));
        /* Not the driver's: skipped without a word. */
        assert_int_equal(count_warnings(f, "libGL"), 0);
}

/* ------------------------------------------------------------------ tests */

static void test_local_nvidia_libraries(void **state)
{
        struct fixture *f = *state;
        const struct nvcr_driver_file *df;

        make_sim(f, "--layout", "local-nvidia", NULL);
        load(f);
        assert_string_equal(f->inv->driver_version, "580.159.04");
        expect_root_relative(f);
        expect_native_libs(f);

        df = expect_file(f->inv, NVCR_FILE_LIB, "/usr/local/nvidia/lib64/libcuda.so.580.159.04");
        expect_soname(df, "libcuda.so.1");
        assert_int_equal(df->caps, NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO);
        df = expect_file(f->inv, NVCR_FILE_LIB,
                         "/usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04");
        expect_soname(df, "libnvidia-ml.so.1");
        assert_int_equal(df->caps, NVCR_CAP_UTILITY);
        df = expect_file(f->inv, NVCR_FILE_LIB,
                         "/usr/local/nvidia/lib64/libnvidia-nvvm.so.580.159.04");
        expect_soname(df, "libnvidia-nvvm.so.4");
        df = expect_file(f->inv, NVCR_FILE_LIB,
                         "/usr/local/nvidia/lib64/libnvidia-glcore.so.580.159.04");
        expect_soname(df, "libnvidia-glcore.so.580.159.04");
        assert_int_equal(df->caps, NVCR_CAP_GRAPHICS | NVCR_CAP_DISPLAY);
        df = expect_file(f->inv, NVCR_FILE_LIB,
                         "/usr/local/nvidia/lib64/libvdpau_nvidia.so.580.159.04");
        expect_soname(df, "libvdpau_nvidia.so.1");
        assert_int_equal(df->caps, NVCR_CAP_VIDEO);
        df = expect_file(f->inv, NVCR_FILE_LIB,
                         "/usr/local/nvidia/lib64/libnvidia-ngx.so.580.159.04");
        assert_int_equal(df->caps, NVCR_CAP_NGX);
        df = expect_file(f->inv, NVCR_FILE_LIB,
                         "/usr/local/nvidia/lib64/libGLX_nvidia.so.580.159.04");
        expect_soname(df, "libGLX_nvidia.so.0");
        /* Each library once, not once per cache name (libcuda.so.1 and libcuda.so). */
        assert_int_equal(count_base(f->inv, NVCR_FILE_LIB, "libcuda.so"), 1);
        assert_int_equal(count_base(f->inv, NVCR_FILE_LIB, "libnvidia-ml.so"), 1);
        expect_no_glvnd(f);
        assert_int_equal(count_warnings(f, ""), 0);
}

static void test_local_nvidia_compat32(void **state)
{
        struct fixture *f = *state;
        const struct nvcr_driver_file *df;

        make_sim(f, "--layout", "local-nvidia", NULL);
        load(f);
        expect_compat32_libs(f);
        df = expect_file(f->inv, NVCR_FILE_LIB32, "/usr/local/nvidia/lib32/libcuda.so.580.159.04");
        expect_soname(df, "libcuda.so.1");
        assert_int_equal(df->caps, NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO | NVCR_CAP_COMPAT32);
        df = expect_file(f->inv, NVCR_FILE_LIB32,
                         "/usr/local/nvidia/lib32/libGLX_nvidia.so.580.159.04");
        assert_true(df->caps & NVCR_CAP_GRAPHICS);
        assert_true(df->caps & NVCR_CAP_COMPAT32);
        /* The 64-bit files never come out as 32-bit ones (lib -> lib64 in this layout). */
        for (size_t i = 0; i < f->inv->nfiles; i++)
                if (f->inv->files[i].kind == NVCR_FILE_LIB32)
                        assert_non_null(strstr(f->inv->files[i].path, "/lib32/"));
        /* And the native ones carry no COMPAT32 bit. */
        for (size_t i = 0; i < f->inv->nfiles; i++)
                if (f->inv->files[i].kind == NVCR_FILE_LIB)
                        assert_false(f->inv->files[i].caps & NVCR_CAP_COMPAT32);
}

static void test_local_nvidia_bins_firmware_ipcs(void **state)
{
        struct fixture *f = *state;
        const struct nvcr_driver_file *df;
        char path[PATH_MAX];

        make_sim(f, "--layout", "local-nvidia", NULL);
        load(f);
        /* Binaries beside the library directory: <libdir>/../bin. */
        df = expect_file(f->inv, NVCR_FILE_BIN, "/usr/local/nvidia/bin/nvidia-smi");
        assert_int_equal(df->caps, NVCR_CAP_UTILITY);
        assert_null(df->soname);
        df = expect_file(f->inv, NVCR_FILE_BIN, "/usr/local/nvidia/bin/nvidia-cuda-mps-control");
        assert_int_equal(df->caps, NVCR_CAP_COMPUTE);
        expect_file(f->inv, NVCR_FILE_BIN, "/usr/local/nvidia/bin/nvidia-persistenced");
        expect_file(f->inv, NVCR_FILE_BIN, "/usr/local/nvidia/bin/nvidia-debugdump");
        expect_file(f->inv, NVCR_FILE_BIN, "/usr/local/nvidia/bin/nvidia-cuda-mps-server");
        assert_int_equal(count_kind(f->inv, NVCR_FILE_BIN), 5);

        /* GSP firmware of the driver version. */
        df = expect_file(f->inv, NVCR_FILE_FIRMWARE,
                         "/usr/local/nvidia/firmware/nvidia/580.159.04/gsp_ga10x.bin");
        expect_file(f->inv, NVCR_FILE_FIRMWARE,
                    "/usr/local/nvidia/firmware/nvidia/580.159.04/gsp_tu10x.bin");
        assert_int_equal(count_kind(f->inv, NVCR_FILE_FIRMWARE), 2);
        (void)snprintf(path, sizeof(path), "%s/gsp_ga10x.bin", sim(f, "SIM_FW_SEARCH_DIR"));
        assert_string_equal(df->path, path);

        /* The persistenced socket and the MPS pipe directory. */
        df = expect_file(f->inv, NVCR_FILE_IPC, sim(f, "SIM_PERSISTENCED_SOCKET"));
        assert_string_equal(df->path, "/run/nvidia-persistenced/socket");
        assert_int_equal(df->caps, NVCR_CAP_UTILITY);
        df = expect_file(f->inv, NVCR_FILE_IPC, sim(f, "SIM_MPS_PIPE_DIR"));
        assert_int_equal(df->caps, NVCR_CAP_COMPUTE);
        assert_int_equal(count_kind(f->inv, NVCR_FILE_IPC), 2);
        expect_root_relative(f);
}

static void test_gpus_from_procfs(void **state)
{
        struct fixture *f = *state;
        bool index_ne_minor = false;

        make_sim(f, "--layout", "local-nvidia", "--gpus", "4", NULL);
        load(f);
        assert_int_equal(f->inv->ngpus, simu(f, "SIM_NGPUS"));
        assert_int_equal(f->inv->ngpus, 4);
        for (size_t i = 0; i < f->inv->ngpus; i++) {
                const struct nvcr_gpu *g = &f->inv->gpus[i];
                char node[32];

                assert_int_equal(g->index, i);
                assert_string_equal(g->uuid, simf(f, "SIM_GPU%zu_UUID", i));
                assert_string_equal(g->bus_id, simf(f, "SIM_GPU%zu_BUS", i));
                assert_string_equal(g->proc_dir, simf(f, "SIM_GPU%zu_PROC_BUS", i));
                assert_string_equal(g->model, simf(f, "SIM_GPU%zu_MODEL", i));
                assert_int_equal(g->minor, strtoul(simf(f, "SIM_GPU%zu_MINOR", i), NULL, 10));
                (void)snprintf(node, sizeof(node), "/dev/nvidia%u", g->minor);
                assert_string_equal(g->node.path, node);
                assert_int_equal(g->node.major, simu(f, "SIM_MAJOR_NVIDIA"));
                assert_int_equal(g->node.minor, g->minor);
                if (i > 0)
                        assert_true(strcmp(f->inv->gpus[i - 1].bus_id, g->bus_id) < 0);
                index_ne_minor |= g->index != g->minor;
        }
        assert_true(index_ne_minor);
        /* NVML was not asked. */
        assert_null(f->inv->cuda_version);
        assert_null(f->inv->gpus[0].brand);
}

static void test_gpus_eight(void **state)
{
        struct fixture *f = *state;
        static const unsigned minors[] = {4, 6, 0, 2, 5, 7, 1, 3};

        make_sim(f, "--layout", "debian", "--gpus", "8", "--mig", NULL);
        load(f);
        assert_int_equal(f->inv->ngpus, 8);
        for (size_t i = 0; i < 8; i++) {
                assert_int_equal(f->inv->gpus[i].minor, minors[i]);
                assert_int_equal(f->inv->gpus[i].minor,
                                 strtoul(simf(f, "SIM_GPU%zu_MINOR", i), NULL, 10));
                assert_string_equal(f->inv->gpus[i].uuid, simf(f, "SIM_GPU%zu_UUID", i));
        }
        assert_string_equal(f->inv->gpus[0].bus_id, "00000000:07:00.0");
        assert_string_equal(f->inv->gpus[7].bus_id, "00000000:bd:00.0");
        assert_string_equal(f->inv->gpus[7].model, "NVIDIA A100-SXM4-40GB");
        /* MIG instances of GPU 0 from the capabilities tree. */
        assert_int_equal(f->inv->gpus[0].nmigs, simu(f, "SIM_NMIGS"));
        assert_int_equal(f->inv->gpus[0].nmigs, 3);
        for (size_t j = 0; j < f->inv->gpus[0].nmigs; j++) {
                const struct nvcr_mig *m = &f->inv->gpus[0].migs[j];

                assert_int_equal(m->gi, strtoul(simf(f, "SIM_MIG%zu_GI", j), NULL, 10));
                assert_int_equal(m->ci, strtoul(simf(f, "SIM_MIG%zu_CI", j), NULL, 10));
                assert_true(m->has_gi_cap_minor);
                assert_true(m->has_ci_cap_minor);
                assert_int_equal(m->gi_cap_minor,
                                 strtoul(simf(f, "SIM_MIG%zu_GI_CAP_MINOR", j), NULL, 10));
                assert_int_equal(m->ci_cap_minor,
                                 strtoul(simf(f, "SIM_MIG%zu_CI_CAP_MINOR", j), NULL, 10));
                assert_null(m->uuid); /* NVML was not asked */
        }
        for (size_t i = 1; i < f->inv->ngpus; i++)
                assert_int_equal(f->inv->gpus[i].nmigs, 0);
        /* The fabric manager of an HGX box. */
        expect_file(f->inv, NVCR_FILE_BIN, "/usr/bin/nv-fabricmanager");
        expect_file(f->inv, NVCR_FILE_IPC, sim(f, "SIM_FABRICMANAGER_SOCKET"));
}

static void test_debian(void **state)
{
        struct fixture *f = *state;
        const struct nvcr_driver_file *df;
        char path[PATH_MAX];

        make_sim(f, "--layout", "debian", NULL);
        load(f);
        expect_root_relative(f);
        expect_native_libs(f);
        expect_compat32_libs(f);
        df = expect_file(f->inv, NVCR_FILE_LIB, "/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04");
        expect_soname(df, "libcuda.so.1");
        /* Not in the cache (vdpau/ is not in ld.so.conf): found in the subdirectory. */
        df = expect_file(f->inv, NVCR_FILE_LIB,
                         "/usr/lib/x86_64-linux-gnu/vdpau/libvdpau_nvidia.so.580.159.04");
        expect_soname(df, "libvdpau_nvidia.so.1");
        df = expect_file(f->inv, NVCR_FILE_LIB32, "/usr/lib/i386-linux-gnu/libcuda.so.580.159.04");
        expect_soname(df, "libcuda.so.1");
        expect_no_glvnd(f);

        /* Binaries in /usr/bin (also reachable as /bin: listed once). */
        expect_file(f->inv, NVCR_FILE_BIN, "/usr/bin/nvidia-smi");
        assert_int_equal(count_kind(f->inv, NVCR_FILE_BIN), 5);

        /* Firmware searched in /lib/firmware, a link into /usr/lib/firmware: each file once. */
        assert_int_equal(count_kind(f->inv, NVCR_FILE_FIRMWARE), 2);
        for (size_t i = 0; i < f->inv->nfiles; i++) {
                const char *p = f->inv->files[i].path;
                size_t lf = strlen(sim(f, "SIM_FWDIR")), ls = strlen(sim(f, "SIM_FW_SEARCH_DIR"));

                if (f->inv->files[i].kind != NVCR_FILE_FIRMWARE)
                        continue;
                assert_true(strncmp(p, sim(f, "SIM_FWDIR"), lf) == 0 ||
                            strncmp(p, sim(f, "SIM_FW_SEARCH_DIR"), ls) == 0);
                assert_non_null(strstr(p, "/gsp_"));
                assert_int_equal(f->inv->files[i].caps, NVCR_CAP_ALL);
        }
        (void)snprintf(path, sizeof(path), "%s/gsp_tu10x.bin", sim(f, "SIM_FWDIR"));
        if (find_path(f->inv, NVCR_FILE_FIRMWARE, path) == NULL) {
                (void)snprintf(path, sizeof(path), "%s/gsp_tu10x.bin",
                               sim(f, "SIM_FW_SEARCH_DIR"));
                expect_file(f->inv, NVCR_FILE_FIRMWARE, path);
        }
        expect_file(f->inv, NVCR_FILE_IPC, "/run/nvidia-persistenced/socket");
        assert_int_equal(count_warnings(f, ""), 0);
}

static void test_driver_root_layout(void **state)
{
        struct fixture *f = *state;

        make_sim(f, "--layout", "driver-root", NULL);
        load(f);
        expect_root_relative(f);
        expect_native_libs(f);
        expect_compat32_libs(f);
        expect_file(f->inv, NVCR_FILE_LIB, "/usr/lib64/libcuda.so.580.159.04");
        expect_file(f->inv, NVCR_FILE_LIB32, "/usr/lib/libcuda.so.580.159.04");
        expect_no_glvnd(f);
}

static void test_no_compat32(void **state)
{
        struct fixture *f = *state;

        make_sim(f, "--layout", "debian", "--no-compat32", NULL);
        load(f);
        assert_int_equal(count_kind(f->inv, NVCR_FILE_LIB32), 0);
        expect_native_libs(f);
}

static void test_mismatched_library(void **state)
{
        struct fixture *f = *state;

        make_sim(f, "--layout", "local-nvidia", "--mismatch-lib", "libcuda", NULL);
        assert_string_equal(sim(f, "SIM_MISMATCH_LIBS"), "libcuda");
        load(f);
        /* The half-upgraded library is left out, in both word sizes... */
        assert_int_equal(count_base(f->inv, NVCR_FILE_LIB, "libcuda.so"), 0);
        assert_int_equal(count_base(f->inv, NVCR_FILE_LIB32, "libcuda.so"), 0);
        for (size_t i = 0; i < f->inv->nfiles; i++)
                assert_null(strstr(f->inv->files[i].path, "999.99.99"));
        /* ...with a warning naming it... */
        assert_true(count_warnings(f, "libcuda.so.999.99.99") >= 1);
        assert_true(count_warnings(f, "580.159.04") >= 1);
        /* ...and everything else is still there. */
        expect_file(f->inv, NVCR_FILE_LIB, "/usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04");
        expect_file(f->inv, NVCR_FILE_LIB,
                    "/usr/local/nvidia/lib64/libcudadebugger.so.580.159.04");
        expect_file(f->inv, NVCR_FILE_LIB32,
                    "/usr/local/nvidia/lib32/libnvidia-ml.so.580.159.04");
        assert_int_equal(count_warnings(f, "libnvidia-ml"), 0);
        expect_no_glvnd(f);
}

static void test_corrupt_ldcache(void **state)
{
        struct fixture *f = *state;
        char path[PATH_MAX], garbage[4096];
        struct nvcr_inventory *inv = NULL;
        struct nvcr_err err = {0};
        FILE *fp;
        int r;

        make_sim(f, "--layout", "debian", NULL);
        in_root(f, "/etc/ld.so.cache", path, sizeof(path));
        for (size_t i = 0; i < sizeof(garbage); i++)
                garbage[i] = (char)('a' + (char)(i * 7 % 26));
        fp = fopen(path, "we");
        assert_non_null(fp);
        assert_int_equal(fwrite(garbage, 1, sizeof(garbage), fp), sizeof(garbage));
        assert_int_equal(fclose(fp), 0);

        r = nvcr_inventory_load(f->ctx, NVCR_INV_FILES, &inv, &err);
        assert_true(r < 0);
        assert_null(inv);
        assert_int_equal(err.code, -r);
        if (strstr(err.msg, "ld.so.cache") == NULL)
                fail_msg("the message does not name the cache: %s", err.msg);
        /* The same without anyone to read the message: still the real errno, not a stand-in. */
        assert_int_equal(nvcr_inventory_load(f->ctx, NVCR_INV_FILES, &inv, NULL), r);
        assert_null(inv);

        /* An empty cache file is no better. */
        fp = fopen(path, "we");
        assert_non_null(fp);
        assert_int_equal(fclose(fp), 0);
        memset(&err, 0, sizeof(err));
        assert_true(nvcr_inventory_load(f->ctx, NVCR_INV_FILES, &inv, &err) < 0);
        assert_non_null(strstr(err.msg, "ld.so.cache"));

        /* Without NVCR_INV_FILES the cache is not read at all. */
        assert_int_equal(nvcr_inventory_load(f->ctx, 0, &inv, NULL), 0);
        assert_int_equal(inv->nfiles, 0);
        assert_int_equal(inv->ngpus, 1);
        nvcr_inventory_free(inv);
}

static void test_no_ldcache(void **state)
{
        struct fixture *f = *state;
        const struct nvcr_driver_file *df;
        char path[PATH_MAX];

        make_sim(f, "--layout", "debian", NULL);
        in_root(f, "/etc/ld.so.cache", path, sizeof(path));
        assert_int_equal(unlink(path), 0);
        load(f);
        /* The directory search finds the same files. */
        expect_native_libs(f);
        expect_compat32_libs(f);
        df = expect_file(f->inv, NVCR_FILE_LIB, "/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04");
        expect_soname(df, "libcuda.so.1");
        assert_int_equal(df->caps, NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO);
        expect_file(f->inv, NVCR_FILE_LIB32, "/usr/lib/i386-linux-gnu/libcuda.so.580.159.04");
        expect_no_glvnd(f);
        expect_file(f->inv, NVCR_FILE_BIN, "/usr/bin/nvidia-smi");
        assert_int_equal(count_kind(f->inv, NVCR_FILE_FIRMWARE), 2);
}

static void test_no_ldcache_local_nvidia(void **state)
{
        struct fixture *f = *state;
        char path[PATH_MAX];

        make_sim(f, "--layout", "local-nvidia", NULL);
        in_root(f, "/etc/ld.so.cache", path, sizeof(path));
        assert_int_equal(unlink(path), 0);
        load(f);
        expect_native_libs(f);
        expect_file(f->inv, NVCR_FILE_LIB, "/usr/local/nvidia/lib64/libcuda.so.580.159.04");
        /* lib -> lib64 holds 64-bit files: never taken for 32-bit ones. */
        for (size_t i = 0; i < f->inv->nfiles; i++)
                if (f->inv->files[i].kind == NVCR_FILE_LIB32)
                        assert_null(strstr(f->inv->files[i].path, "lib64"));
        expect_file(f->inv, NVCR_FILE_BIN, "/usr/local/nvidia/bin/nvidia-smi");
        assert_int_equal(count_kind(f->inv, NVCR_FILE_FIRMWARE), 2);
        assert_int_equal(count_warnings(f, ""), 0);
}

static void test_extra_search_path(void **state)
{
        struct fixture *f = *state;
        const struct nvcr_driver_file *df;
        char from[PATH_MAX], to[PATH_MAX];

        make_sim(f, "--layout", "debian", NULL);
        in_root(f, "/etc/ld.so.cache", from, sizeof(from));
        assert_int_equal(unlink(from), 0);
        in_root(f, "/opt", to, sizeof(to));
        assert_int_equal(mkdir(to, 0755), 0);
        in_root(f, "/opt/drv", to, sizeof(to));
        assert_int_equal(mkdir(to, 0755), 0);
        in_root(f, "/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04", from, sizeof(from));
        in_root(f, "/opt/drv/libcuda.so.580.159.04", to, sizeof(to));
        assert_int_equal(rename(from, to), 0);

        /* Without the setting, nowhere to be found. */
        load(f);
        assert_int_equal(count_base(f->inv, NVCR_FILE_LIB, "libcuda.so"), 0);
        expect_file(f->inv, NVCR_FILE_LIB,
                    "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.159.04");

        /* The extra directory is taken inside the driver root. */
        assert_int_equal(nvcr_ctx_set(f->ctx, NVCR_SET_LIB_SEARCH_PATH, "/opt/drv", NULL), 0);
        load(f);
        df = expect_file(f->inv, NVCR_FILE_LIB, "/opt/drv/libcuda.so.580.159.04");
        expect_soname(df, "libcuda.so.1");
        assert_int_equal(df->caps, NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO);
        assert_int_equal(count_base(f->inv, NVCR_FILE_LIB, "libcuda.so"), 1);
        /* The 32-bit one stays where it was. */
        expect_file(f->inv, NVCR_FILE_LIB32, "/usr/lib/i386-linux-gnu/libcuda.so.580.159.04");
}

static void test_absolute_links_stay_in_root(void **state)
{
        struct fixture *f = *state;
        char link[PATH_MAX];

        /* An absolute soname link: must resolve inside the root, as the loader in a chroot. */
        make_sim(f, "--layout", "debian", NULL);
        in_root(f, "/usr/lib/x86_64-linux-gnu/libcuda.so.1", link, sizeof(link));
        assert_int_equal(unlink(link), 0);
        assert_int_equal(symlink("/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04", link), 0);
        load(f);
        expect_file(f->inv, NVCR_FILE_LIB, "/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04");
        expect_root_relative(f);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_local_nvidia_libraries),
                T(test_local_nvidia_compat32),
                T(test_local_nvidia_bins_firmware_ipcs),
                T(test_gpus_from_procfs),
                T(test_gpus_eight),
                T(test_debian),
                T(test_driver_root_layout),
                T(test_no_compat32),
                T(test_mismatched_library),
                T(test_corrupt_ldcache),
                T(test_no_ldcache),
                T(test_no_ldcache_local_nvidia),
                T(test_extra_search_path),
                T(test_absolute_links_stay_in_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
