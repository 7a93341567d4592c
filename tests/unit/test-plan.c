/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvcr_plan_build and nvcr_plan_to_json through the public API, on simulated
 * GPU hosts built by tests/fixtures/mksimhost (path in $NVCR_MKSIMHOST) and
 * container rootfs directories made here. Each simulated host is built once,
 * on first use, and shared by the tests of the group; every test makes its
 * own rootfs. The plan is inspected through lib/plan/plan.h.
 *
 * Facts of the simulated hosts (tests/fixtures/README.md):
 *  - 8 GPUs: index -> minor 0->4 1->6 2->0 3->2 4->5 5->7 6->1 7->3, bus ids
 *    0000:07:00.0 0000:0f:00.0 0000:47:00.0 …, nvidia-fabricmanager socket.
 *  - 1 GPU: minor 1, bus 0000:00:06.0.
 *  - --mig: GPU 0 with gi1/ci0 (cap minors 147/148), gi2/ci0 (156/157),
 *    gi2/ci1 (156/158) in the one-GPU tree; config cap 1, monitor cap 2.
 *  - majors: nvidia 195, uvm 238, caps 241, imex 242; driver 580.159.04.
 */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nvcr.h"
#include "plan/plan.h"

#define DRV "580.159.04"
#define LIBDIR "/usr/lib/x86_64-linux-gnu"
#define LIB32DIR "/usr/lib/i386-linux-gnu"
#define PROCDIR "/proc/driver/nvidia"
#define APPDIR "/etc/nvidia/nvidia-application-profiles-rc.d"
#define COMPAT "/usr/local/cuda/compat"

enum sim_kind {
        SIM8 = 0, /* --gpus 8 (debian layout) */
        SIM1,     /* --gpus 1 --layout local-nvidia */
        SIMMIG,   /* --gpus 1 --mig (debian layout) */
        NSIMS,
};

static const char *const sim_args[NSIMS][6] = {
        [SIM8] = {"--gpus", "8", NULL},
        [SIM1] = {"--gpus", "1", "--layout", "local-nvidia", NULL},
        [SIMMIG] = {"--gpus", "1", "--mig", NULL},
};

struct sim {
        char out[PATH_MAX];  /* mksimhost's OUTDIR */
        char root[PATH_MAX]; /* out/root: the driver root */
        struct nvcr_ctx *ctx;
        struct nvcr_inventory *inv;
        bool built;
};

/* Rootfs flavours. */
enum {
        RFS_DEBIAN = 1u << 0, /* /etc/debian_version */
        RFS_LIB32 = 1u << 1,  /* /usr/lib32 */
};

struct fixture {
        char top[64];
        struct sim sims[NSIMS];
        unsigned nrootfs;
        char rootfs[PATH_MAX]; /* the current test's rootfs */
        struct nvcr_selection *sel;
        struct nvcr_plan *plan;
};

/* ------------------------------------------------------------ fixture */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int group_setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        if (f == NULL)
                return -1;
        strcpy(f->top, "/tmp/nvcr-test-plan-XXXXXX");
        if (mkdtemp(f->top) == NULL || chmod(f->top, 0755) < 0) {
                free(f);
                return -1;
        }
        /* A pipe directory from the environment would change the IPC list. */
        (void)unsetenv("CUDA_MPS_PIPE_DIRECTORY");
        *state = f;
        return 0;
}

static int group_teardown(void **state)
{
        struct fixture *f = *state;

        for (size_t i = 0; i < NSIMS; i++) {
                nvcr_inventory_free(f->sims[i].inv);
                nvcr_ctx_free(f->sims[i].ctx);
        }
        (void)nftw(f->top, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static int test_setup(void **state)
{
        struct fixture *f = *state;

        f->sel = NULL;
        f->plan = NULL;
        f->rootfs[0] = '\0';
        return 0;
}

static int test_teardown(void **state)
{
        struct fixture *f = *state;

        nvcr_plan_free(f->plan);
        f->plan = NULL;
        nvcr_selection_free(f->sel);
        f->sel = NULL;
        return 0;
}

/* The simulated host `kind`, built on first use. Skips without $NVCR_MKSIMHOST. */
static struct sim *sim_get(struct fixture *f, enum sim_kind kind)
{
        struct sim *s = &f->sims[kind];
        const char *tool = getenv("NVCR_MKSIMHOST");
        char *argv[16], path[PATH_MAX + 16];
        struct nvcr_err err = {0};
        size_t argc = 0;
        pid_t pid;
        int status, r;

        if (tool == NULL || tool[0] == '\0') {
                print_message("NVCR_MKSIMHOST is not set: no simulated host\n");
                skip();
        }
        if (s->built)
                return s;
        (void)snprintf(path, sizeof(path), "%s/sim%d", f->top, (int)kind);
        memcpy(s->out, path, sizeof(s->out));
        (void)snprintf(path, sizeof(path), "%s/sim%d/root", f->top, (int)kind);
        memcpy(s->root, path, sizeof(s->root));
        argv[argc++] = (char *)tool;
        for (size_t i = 0; sim_args[kind][i] != NULL; i++)
                argv[argc++] = (char *)sim_args[kind][i];
        argv[argc++] = s->out;
        argv[argc] = NULL;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                if (null >= 0) {
                        (void)dup2(null, STDOUT_FILENO);
                        (void)dup2(null, STDERR_FILENO);
                }
                execv(tool, argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("%s failed (status %d)", tool, status);

        assert_int_equal(nvcr_ctx_new(&s->ctx, NULL), 0);
        assert_int_equal(nvcr_ctx_set(s->ctx, NVCR_SET_ROOT, s->root, NULL), 0);
        (void)snprintf(path, sizeof(path), "%s/proc", s->out);
        assert_int_equal(nvcr_ctx_set(s->ctx, NVCR_SET_PROC, path, NULL), 0);
        (void)snprintf(path, sizeof(path), "%s/sys", s->out);
        assert_int_equal(nvcr_ctx_set(s->ctx, NVCR_SET_SYS, path, NULL), 0);
        assert_int_equal(nvcr_ctx_set(s->ctx, NVCR_SET_CACHE_DIR, "", NULL), 0);
        r = nvcr_inventory_load(s->ctx, NVCR_INV_FILES, &s->inv, &err);
        if (r != 0)
                fail_msg("nvcr_inventory_load: %d %s", r, err.msg);
        assert_string_equal(s->inv->driver_version, DRV);
        s->built = true;
        return s;
}

/* Rotating buffers for paths built inline in assertions. */
static const char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));

static const char *fmt(const char *format, ...)
{
        static char bufs[16][PATH_MAX + 64];
        static unsigned next;
        char *b = bufs[next++ % 16];
        va_list ap;

        va_start(ap, format);
        (void)vsnprintf(b, sizeof(bufs[0]), format, ap);
        va_end(ap);
        return b;
}

/* A host path inside the simulated driver root ("/dev/nvidia4" -> <root>/dev/nvidia4). */
static const char *host(const struct sim *s, const char *rel)
{
        return fmt("%s%s", s->root, rel);
}

/* A host path of the simulated procfs ("/proc/driver/…" -> <out>/proc/driver/…). */
static const char *hproc(const struct sim *s, const char *rel)
{
        return fmt("%s%s", s->out, rel);
}

static void mkdirs(const char *path)
{
        char buf[PATH_MAX];

        (void)snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        fail_msg("mkdir %s: %s", buf, strerror(errno));
                *p = '/';
        }
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                fail_msg("mkdir %s: %s", buf, strerror(errno));
}

static void write_file(const char *path, const char *content)
{
        FILE *fp = fopen(path, "we");

        if (fp == NULL)
                fail_msg("%s: %s", path, strerror(errno));
        assert_int_equal(fputs(content, fp) >= 0, 1);
        assert_int_equal(fclose(fp), 0);
}

/* A path inside the current rootfs. */
static const char *in_rfs(const struct fixture *f, const char *rel)
{
        return fmt("%s%s", f->rootfs, rel);
}

/* A fresh container rootfs for this test. */
static const char *make_rootfs(struct fixture *f, unsigned flags)
{
        (void)snprintf(f->rootfs, sizeof(f->rootfs), "%s/rootfs%u", f->top, f->nrootfs++);
        mkdirs(f->rootfs);
        mkdirs(in_rfs(f, "/etc"));
        mkdirs(in_rfs(f, "/usr/bin"));
        mkdirs(in_rfs(f, "/usr/lib"));
        mkdirs(in_rfs(f, "/sbin"));
        if (flags & RFS_DEBIAN) {
                mkdirs(in_rfs(f, LIBDIR));
                write_file(in_rfs(f, "/etc/debian_version"), "12.5\n");
        } else {
                mkdirs(in_rfs(f, "/usr/lib64"));
        }
        if (flags & RFS_LIB32)
                mkdirs(in_rfs(f, "/usr/lib32"));
        return f->rootfs;
}

/* A small regular file in the image's compat directory. */
static void add_compat_lib(const struct fixture *f, const char *name)
{
        mkdirs(in_rfs(f, COMPAT));
        write_file(in_rfs(f, fmt("%s/%s", COMPAT, name)), "\177ELF not really\n");
}

/* ------------------------------------------------------------ building */

static struct nvcr_request req_of(const struct fixture *f, unsigned caps)
{
        struct nvcr_request r = {0};

        r.rootfs = f->rootfs;
        r.caps = caps;
        return r;
}

static void select_into(struct fixture *f, const struct sim *s, const char *devices)
{
        struct nvcr_err err = {0};
        int r;

        nvcr_selection_free(f->sel);
        f->sel = NULL;
        r = nvcr_select_devices(s->inv, devices ? devices : "", &f->sel, &err);
        if (r != 0)
                fail_msg("nvcr_select_devices(%s): %d %s", devices, r, err.msg);
        assert_non_null(f->sel);
}

static struct nvcr_plan *plan_ok(struct fixture *f, const struct sim *s, const char *devices,
                                 const struct nvcr_request *req)
{
        struct nvcr_err err = {0};
        const char *phase = NULL;
        int r;

        select_into(f, s, devices);
        nvcr_plan_free(f->plan);
        f->plan = NULL;
        r = nvcr_plan_build(s->ctx, s->inv, f->sel, req, &f->plan, &phase, &err);
        if (r != 0)
                fail_msg("nvcr_plan_build: %d (%s) %s", r, phase ? phase : "?", err.msg);
        assert_non_null(f->plan);
        return f->plan;
}

/* A failing build: returns the error, fills phase and err; no plan comes back. */
static int plan_err(struct fixture *f, const struct sim *s, const char *devices,
                    const struct nvcr_request *req, const char **phase, struct nvcr_err *err)
{
        struct nvcr_plan *p = (struct nvcr_plan *)(uintptr_t)1;
        int r;

        select_into(f, s, devices);
        *phase = NULL;
        memset(err, 0, sizeof(*err));
        r = nvcr_plan_build(s->ctx, s->inv, f->sel, req, &p, phase, err);
        if (r == 0) {
                f->plan = p;
                fail_msg("nvcr_plan_build succeeded where it should fail");
        }
        assert_null(p);
        assert_non_null(*phase);
        assert_int_equal(err->code, -r);
        return r;
}

/* ------------------------------------------------------------ plan queries */

static const struct plan_mount *find_mount(const struct nvcr_plan *p, const char *target)
{
        const struct plan_mount *found = NULL;

        for (size_t i = 0; i < p->nmounts; i++) {
                if (strcmp(p->mounts[i].target, target) != 0)
                        continue;
                if (found != NULL)
                        fail_msg("%s is mounted twice", target);
                found = &p->mounts[i];
        }
        return found;
}

static const struct plan_mount *expect_mount(const struct nvcr_plan *p, enum plan_mount_type type,
                                             const char *source, const char *target)
{
        const struct plan_mount *m = find_mount(p, target);

        if (m == NULL)
                fail_msg("no mount on %s", target);
        if (m->type != type)
                fail_msg("%s: mount type %d, expected %d", target, (int)m->type, (int)type);
        assert_non_null(m->source);
        if (strcmp(m->source, source) != 0)
                fail_msg("%s: source %s, expected %s", target, m->source, source);
        return m;
}

static void expect_no_mount(const struct nvcr_plan *p, const char *target)
{
        const struct plan_mount *m = find_mount(p, target);

        if (m != NULL)
                fail_msg("unexpected mount on %s (from %s)", target, m->source);
}

static void expect_device(const struct nvcr_plan *p, const struct sim *s, const char *node,
                          unsigned major, unsigned minor)
{
        const struct plan_mount *m = expect_mount(p, PLAN_MOUNT_DEVICE, host(s, node), node);

        assert_int_equal(m->major, major);
        assert_int_equal(m->minor, minor);
        assert_false(m->is_dir);
}

static size_t count_type(const struct nvcr_plan *p, enum plan_mount_type type)
{
        size_t n = 0;

        for (size_t i = 0; i < p->nmounts; i++)
                n += p->mounts[i].type == type;
        return n;
}

/* Mounts whose target starts with `prefix`. */
static size_t count_prefix(const struct nvcr_plan *p, const char *prefix)
{
        size_t n = 0;

        for (size_t i = 0; i < p->nmounts; i++)
                n += strncmp(p->mounts[i].target, prefix, strlen(prefix)) == 0;
        return n;
}

/* The versioned driver library `name` (e.g. "libcuda") mounted into `dir` from `srcdir`. */
static void expect_lib(const struct nvcr_plan *p, const struct sim *s, const char *srcdir,
                       const char *dir, const char *name)
{
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, fmt("%s/%s.so.%s", srcdir, name, DRV)),
                     fmt("%s/%s.so.%s", dir, name, DRV));
}

static void expect_no_lib(const struct nvcr_plan *p, const char *dir, const char *name)
{
        expect_no_mount(p, fmt("%s/%s.so.%s", dir, name, DRV));
}

static const struct plan_symlink *find_symlink(const struct nvcr_plan *p, const char *path)
{
        for (size_t i = 0; i < p->nsymlinks; i++)
                if (strcmp(p->symlinks[i].path, path) == 0)
                        return &p->symlinks[i];
        return NULL;
}

static void expect_symlink(const struct nvcr_plan *p, const char *path, const char *target)
{
        const struct plan_symlink *l = find_symlink(p, path);

        if (l == NULL)
                fail_msg("no symlink %s", path);
        if (strcmp(l->target, target) != 0)
                fail_msg("%s -> %s, expected -> %s", path, l->target, target);
}

static bool has_rule(const struct nvcr_plan *p, unsigned major, unsigned minor)
{
        size_t n = 0;

        for (size_t i = 0; i < p->nrules; i++)
                n += p->rules[i].major == major && p->rules[i].minor == minor;
        if (n > 1)
                fail_msg("rule c %u:%u rw is listed %zu times", major, minor, n);
        return n == 1;
}

/* The cgroup rules are exactly the device nodes of the plan. */
static void expect_rules_match_devices(const struct nvcr_plan *p)
{
        assert_int_equal(p->nrules, count_type(p, PLAN_MOUNT_DEVICE));
        for (size_t i = 0; i < p->nmounts; i++)
                if (p->mounts[i].type == PLAN_MOUNT_DEVICE &&
                    !has_rule(p, p->mounts[i].major, p->mounts[i].minor))
                        fail_msg("no cgroup rule for %s", p->mounts[i].target);
}

static const struct plan_tmpfs *find_mask(const struct nvcr_plan *p, const char *target)
{
        for (size_t i = 0; i < p->nmasks; i++)
                if (strcmp(p->masks[i].target, target) == 0)
                        return &p->masks[i];
        return NULL;
}

static const struct plan_file *find_mask_file(const struct plan_tmpfs *m, const char *name)
{
        for (size_t i = 0; i < m->nfiles; i++)
                if (strcmp(m->files[i].name, name) == 0)
                        return &m->files[i];
        return NULL;
}

static bool has_ldconfig_dir(const struct nvcr_plan *p, const char *dir)
{
        for (size_t i = 0; i < p->nldconfig_dirs; i++)
                if (strcmp(p->ldconfig_dirs[i], dir) == 0)
                        return true;
        return false;
}

static const char *host_ldconfig(void)
{
        return access("/sbin/ldconfig.real", X_OK) == 0 ? "@/sbin/ldconfig.real"
                                                         : "@/sbin/ldconfig";
}

/* The app profile's EGLVisibleDGPUDevices setting, checked for shape. */
static void expect_app_profile(const struct nvcr_plan *p, const char *mask)
{
        const struct plan_tmpfs *m = find_mask(p, APPDIR);
        const struct plan_file *conf;

        if (m == NULL)
                fail_msg("no app profile mask on %s", APPDIR);
        assert_int_equal(m->mode, 0555);
        assert_int_equal(m->nfiles, 1);
        conf = find_mask_file(m, "10-container.conf");
        assert_non_null(conf);
        assert_int_equal(conf->len, strlen(conf->content));
        if (strstr(conf->content, fmt("[\"EGLVisibleDGPUDevices\",%s]", mask)) == NULL)
                fail_msg("app profile lacks mask %s: %s", mask, conf->content);
        assert_non_null(strstr(conf->content,
                               "{\"profiles\":[{\"name\":\"_container_\",\"settings\":"));
        assert_non_null(strstr(conf->content,
                               "\"rules\":[{\"pattern\":[],\"profile\":\"_container_\"}]"));
}

/* ------------------------------------------------------------ capabilities */

static void test_caps_utility(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY);
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->rootfs, f->rootfs);
        assert_string_equal(p->driver_version, DRV);
        assert_string_equal(p->libdir, LIBDIR);
        assert_null(p->lib32dir);
        assert_int_equal(p->caps, NVCR_CAP_UTILITY);
        assert_int_equal(p->pid, 0);

        expect_lib(p, s, LIBDIR, LIBDIR, "libnvidia-ml");
        expect_lib(p, s, LIBDIR, LIBDIR, "libnvidia-cfg");
        assert_int_equal(count_prefix(p, LIBDIR "/"), 2);
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, "/usr/bin/nvidia-smi"),
                     "/usr/bin/nvidia-smi");
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, "/usr/bin/nvidia-debugdump"),
                     "/usr/bin/nvidia-debugdump");
        expect_no_mount(p, "/usr/bin/nvidia-cuda-mps-control");
        expect_no_mount(p, "/usr/bin/nvidia-cuda-mps-server");
        expect_no_lib(p, LIBDIR, "libcuda");
        expect_no_mount(p, "/dev/nvidia-uvm");
        expect_no_mount(p, "/dev/nvidia-uvm-tools");
        expect_no_mount(p, "/dev/nvidia-modeset");
        expect_no_mount(p, "/tmp/nvidia-mps");
        assert_false(has_rule(p, 238, 0));
        expect_mount(p, PLAN_MOUNT_IPC, host(s, "/run/nvidia-persistenced/socket"),
                     "/run/nvidia-persistenced/socket");
        /* Only the procfs mask: no app profile without graphics/display. */
        assert_int_equal(p->nmasks, 1);
        assert_null(find_mask(p, APPDIR));
        /* Nothing 32-bit without compat32. */
        assert_int_equal(count_prefix(p, LIB32DIR), 0);
}

static void test_caps_compute(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        static const char *const libs[] = {
                "libcuda", "libcudadebugger", "libnvidia-opencl", "libnvidia-gpucomp",
                "libnvidia-ptxjitcompiler", "libnvidia-allocator",
                "libnvidia-pkcs11-openssl3", "libnvidia-nvvm",
        };
        const struct plan_mount *m;
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_COMPUTE);
        p = plan_ok(f, s, "0", &req);
        for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
                expect_lib(p, s, LIBDIR, LIBDIR, libs[i]);
        assert_int_equal(count_prefix(p, LIBDIR "/"), sizeof(libs) / sizeof(libs[0]));
        expect_device(p, s, "/dev/nvidia-uvm", 238, 0);
        expect_device(p, s, "/dev/nvidia-uvm-tools", 238, 1);
        expect_device(p, s, "/dev/nvidiactl", 195, 255);
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, "/usr/bin/nvidia-cuda-mps-control"),
                     "/usr/bin/nvidia-cuda-mps-control");
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, "/usr/bin/nvidia-cuda-mps-server"),
                     "/usr/bin/nvidia-cuda-mps-server");
        m = expect_mount(p, PLAN_MOUNT_IPC, host(s, "/tmp/nvidia-mps"), "/tmp/nvidia-mps");
        assert_true(m->is_dir);
        /* Utility things stay out. */
        expect_no_lib(p, LIBDIR, "libnvidia-ml");
        expect_no_mount(p, "/usr/bin/nvidia-smi");
        expect_no_mount(p, "/run/nvidia-persistenced/socket");
        expect_no_mount(p, "/run/nvidia-fabricmanager/socket");
        expect_no_mount(p, "/dev/nvidia-modeset");
        assert_true(has_rule(p, 238, 0));
        assert_true(has_rule(p, 238, 1));
}

static void test_caps_video(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_VIDEO);
        p = plan_ok(f, s, "0", &req);
        /* video implies the compute libraries... */
        expect_lib(p, s, LIBDIR, LIBDIR, "libcuda");
        expect_lib(p, s, LIBDIR, LIBDIR, "libnvidia-ptxjitcompiler");
        /* ...plus its own, mounted flat (vdpau comes from a subdirectory of the host). */
        expect_lib(p, s, LIBDIR, LIBDIR, "libnvcuvid");
        expect_lib(p, s, LIBDIR, LIBDIR, "libnvidia-encode");
        expect_lib(p, s, LIBDIR, LIBDIR, "libnvidia-opticalflow");
        expect_lib(p, s, LIBDIR "/vdpau", LIBDIR, "libvdpau_nvidia");
        assert_int_equal(count_prefix(p, LIBDIR "/"), 8 + 4);
        expect_symlink(p, LIBDIR "/libnvidia-opticalflow.so", "libnvidia-opticalflow.so.1");
        /* Not the compute binaries, not utility, not graphics. */
        expect_no_mount(p, "/usr/bin/nvidia-cuda-mps-control");
        expect_no_lib(p, LIBDIR, "libnvidia-ml");
        expect_no_lib(p, LIBDIR, "libnvidia-glcore");
        assert_null(find_mask(p, APPDIR));
}

/*
 * video means VIDEO_LIBS|COMPUTE_LIBS in the reference (features.md §1.4), and
 * the reference gates the UVM nodes and the MPS pipe directory on
 * COMPUTE_LIBS, not on the compute capability (LNC src/nvc_mount.c,
 * nvc_driver_mount: "Only compute libraries require specific devices (e.g.
 * UVM)"): a video-only container gets libcuda and the nodes it needs.
 */
static void test_caps_video_gets_uvm(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_VIDEO);
        p = plan_ok(f, s, "0", &req);
        expect_lib(p, s, LIBDIR, LIBDIR, "libcuda");
        expect_device(p, s, "/dev/nvidia-uvm", 238, 0);
        expect_device(p, s, "/dev/nvidia-uvm-tools", 238, 1);
        assert_true(has_rule(p, 238, 0));
        assert_true(has_rule(p, 238, 1));
        expect_mount(p, PLAN_MOUNT_IPC, host(s, "/tmp/nvidia-mps"), "/tmp/nvidia-mps");
        /* Still not the compute binaries (COMPUTE_BINS is compute's alone). */
        expect_no_mount(p, "/usr/bin/nvidia-cuda-mps-control");
}

static void test_caps_graphics_display(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        static const char *const libs[] = {
                "libnvidia-eglcore", "libnvidia-glcore", "libnvidia-tls", "libnvidia-glsi",
                "libnvidia-fbc", "libnvidia-rtcore", "libnvoptix", "libGLX_nvidia",
                "libEGL_nvidia", "libGLESv2_nvidia", "libGLESv1_CM_nvidia",
                "libnvidia-glvkspirv",
        };
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_DISPLAY);
        p = plan_ok(f, s, "0,2", &req);
        for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
                expect_lib(p, s, LIBDIR, LIBDIR, libs[i]);
        assert_int_equal(count_prefix(p, LIBDIR "/"), sizeof(libs) / sizeof(libs[0]));
        expect_device(p, s, "/dev/nvidia-modeset", 195, 254);
        /* GPU 0 is minor 4, GPU 2 minor 0: bits 4 and 0. */
        expect_app_profile(p, "0x11");
        expect_no_lib(p, LIBDIR, "libcuda");
        expect_no_mount(p, "/dev/nvidia-uvm");
        expect_rules_match_devices(p);

        /* graphics alone: the libraries and the profile, not the modeset node. */
        req = req_of(f, NVCR_CAP_GRAPHICS);
        p = plan_ok(f, s, "5,6", &req);
        expect_lib(p, s, LIBDIR, LIBDIR, "libGLX_nvidia");
        expect_no_mount(p, "/dev/nvidia-modeset");
        assert_false(has_rule(p, 195, 254));
        expect_app_profile(p, "0x82"); /* minors 7 and 1 */

        p = plan_ok(f, s, "all", &req);
        expect_app_profile(p, "0xff");
        p = plan_ok(f, s, "7", &req);
        expect_app_profile(p, "0x8"); /* minor 3 */
}

static void test_caps_ngx(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_NGX);
        p = plan_ok(f, s, "0", &req);
        expect_lib(p, s, LIBDIR, LIBDIR, "libnvidia-ngx");
        assert_int_equal(count_prefix(p, LIBDIR "/"), 1);
}

static void test_caps_flattened_from_local_nvidia(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM1);
        struct nvcr_request req;
        struct nvcr_plan *p;

        /* Host files under /usr/local/nvidia land in the image's standard dirs. */
        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE);
        p = plan_ok(f, s, "0", &req);
        expect_lib(p, s, "/usr/local/nvidia/lib64", LIBDIR, "libcuda");
        expect_lib(p, s, "/usr/local/nvidia/lib64", LIBDIR, "libnvidia-ml");
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, "/usr/local/nvidia/bin/nvidia-smi"),
                     "/usr/bin/nvidia-smi");
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE,
                     host(s, "/usr/local/nvidia/firmware/nvidia/" DRV "/gsp_ga10x.bin"),
                     "/lib/firmware/nvidia/" DRV "/gsp_ga10x.bin");
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE,
                     host(s, "/usr/local/nvidia/firmware/nvidia/" DRV "/gsp_tu10x.bin"),
                     "/lib/firmware/nvidia/" DRV "/gsp_tu10x.bin");
        expect_device(p, s, "/dev/nvidia1", 195, 1);
        expect_mount(p, PLAN_MOUNT_PROC, hproc(s, PROCDIR "/gpus/0000:00:06.0"),
                     PROCDIR "/gpus/0000:00:06.0");
}

static void test_caps_compat32(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        /* Debian: multiarch i386 directory. */
        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_COMPUTE | NVCR_CAP_UTILITY | NVCR_CAP_COMPAT32);
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->libdir, LIBDIR);
        assert_non_null(p->lib32dir);
        assert_string_equal(p->lib32dir, LIB32DIR);
        expect_lib(p, s, LIB32DIR, LIB32DIR, "libcuda");
        expect_lib(p, s, LIB32DIR, LIB32DIR, "libnvidia-ml");
        expect_no_lib(p, LIB32DIR, "libGLX_nvidia"); /* graphics not asked */
        assert_int_equal(count_prefix(p, LIB32DIR "/"), 2);
        expect_symlink(p, LIB32DIR "/libcuda.so.1", "libcuda.so." DRV);
        expect_lib(p, s, LIBDIR, LIBDIR, "libcuda");
        assert_true(has_ldconfig_dir(p, LIBDIR));
        assert_true(has_ldconfig_dir(p, LIB32DIR));

        /* Non-Debian with /usr/lib32. */
        make_rootfs(f, RFS_LIB32);
        req = req_of(f, NVCR_CAP_COMPUTE | NVCR_CAP_COMPAT32);
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->libdir, "/usr/lib64");
        assert_non_null(p->lib32dir);
        assert_string_equal(p->lib32dir, "/usr/lib32");
        expect_lib(p, s, LIB32DIR, "/usr/lib32", "libcuda");
        expect_lib(p, s, LIBDIR, "/usr/lib64", "libcuda");
        assert_true(has_ldconfig_dir(p, "/usr/lib32"));

        /* Non-Debian without /usr/lib32. */
        make_rootfs(f, 0);
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->libdir, "/usr/lib64");
        assert_non_null(p->lib32dir);
        assert_string_equal(p->lib32dir, "/usr/lib");
        expect_lib(p, s, LIB32DIR, "/usr/lib", "libcuda");
        assert_true(has_ldconfig_dir(p, "/usr/lib"));
        assert_true(has_ldconfig_dir(p, "/usr/lib64"));

        /* compat32 with graphics: the 32-bit GLX library and its indirect link. */
        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_GRAPHICS | NVCR_CAP_COMPAT32);
        p = plan_ok(f, s, "0", &req);
        expect_lib(p, s, LIB32DIR, LIB32DIR, "libGLX_nvidia");
        expect_symlink(p, LIB32DIR "/libGLX_indirect.so.0", "libGLX_nvidia.so." DRV);
        expect_no_lib(p, LIB32DIR, "libcuda");

        /* compat32 alone asks for no library at all. */
        req = req_of(f, NVCR_CAP_COMPAT32);
        p = plan_ok(f, s, "0", &req);
        assert_null(p->lib32dir);
        assert_int_equal(count_prefix(p, LIB32DIR), 0);
        assert_int_equal(count_prefix(p, LIBDIR), 0);

        /* Without compat32 no 32-bit directory, even where the image has one. */
        req = req_of(f, NVCR_CAP_COMPUTE | NVCR_CAP_UTILITY);
        p = plan_ok(f, s, "0", &req);
        assert_null(p->lib32dir);
        assert_int_equal(count_prefix(p, LIB32DIR), 0);
        assert_false(has_ldconfig_dir(p, LIB32DIR));
}

static void test_libdir_non_debian(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, 0);
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE);
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->libdir, "/usr/lib64");
        expect_lib(p, s, LIBDIR, "/usr/lib64", "libcuda");
        expect_lib(p, s, LIBDIR, "/usr/lib64", "libnvidia-ml");
        assert_int_equal(count_prefix(p, LIBDIR), 0);
        expect_symlink(p, "/usr/lib64/libcuda.so.1", "libcuda.so." DRV);
        assert_true(has_ldconfig_dir(p, "/usr/lib64"));
        /* Binaries go to /usr/bin whatever the distribution. */
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, "/usr/bin/nvidia-smi"),
                     "/usr/bin/nvidia-smi");
}

/* ------------------------------------------------------------ devices */

static void test_devices_selected(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        static const unsigned minors[] = {4, 6, 0, 2, 5, 7, 1, 3};
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY);
        p = plan_ok(f, s, "0,2", &req);
        expect_device(p, s, "/dev/nvidiactl", 195, 255);
        expect_device(p, s, "/dev/nvidia4", 195, 4);
        expect_device(p, s, "/dev/nvidia0", 195, 0);
        for (unsigned m = 0; m < 8; m++)
                if (m != 4 && m != 0)
                        expect_no_mount(p, fmt("/dev/nvidia%u", m));
        assert_int_equal(count_type(p, PLAN_MOUNT_DEVICE), 3);
        assert_int_equal(p->nrules, 3);
        assert_true(has_rule(p, 195, 255));
        assert_true(has_rule(p, 195, 4));
        assert_true(has_rule(p, 195, 0));
        expect_rules_match_devices(p);

        /* By UUID and by bus id: GPU 1 (minor 6) and GPU 7 (minor 3). */
        p = plan_ok(f, s, "GPU-7fdf6170-9b01-47d3-b93b-2ad422a236bf,0000:bd:00.0", &req);
        expect_device(p, s, "/dev/nvidia6", 195, 6);
        expect_device(p, s, "/dev/nvidia3", 195, 3);
        assert_int_equal(count_type(p, PLAN_MOUNT_DEVICE), 3);
        expect_rules_match_devices(p);

        /* all: every GPU node, with its minor. */
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE | NVCR_CAP_DISPLAY);
        p = plan_ok(f, s, "all", &req);
        for (size_t i = 0; i < 8; i++)
                expect_device(p, s, fmt("/dev/nvidia%u", minors[i]), 195, minors[i]);
        expect_device(p, s, "/dev/nvidiactl", 195, 255);
        expect_device(p, s, "/dev/nvidia-uvm", 238, 0);
        expect_device(p, s, "/dev/nvidia-uvm-tools", 238, 1);
        expect_device(p, s, "/dev/nvidia-modeset", 195, 254);
        assert_int_equal(count_type(p, PLAN_MOUNT_DEVICE), 8 + 4);
        expect_rules_match_devices(p);
        /* Never the NVSwitch nodes of the HGX box. */
        expect_no_mount(p, "/dev/nvidia-nvswitchctl");
        assert_false(has_rule(p, 239, 255));
}

static void test_devices_none(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;
        static const char *const lists[] = {"none", "", NULL};

        make_rootfs(f, RFS_DEBIAN);
        for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
                req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE);
                req.devices = lists[i];
                p = plan_ok(f, s, lists[i], &req);
                expect_device(p, s, "/dev/nvidiactl", 195, 255);
                expect_device(p, s, "/dev/nvidia-uvm", 238, 0);
                expect_device(p, s, "/dev/nvidia-uvm-tools", 238, 1);
                assert_int_equal(count_type(p, PLAN_MOUNT_DEVICE), 3);
                for (unsigned m = 0; m < 8; m++)
                        expect_no_mount(p, fmt("/dev/nvidia%u", m));
                expect_rules_match_devices(p);
                assert_int_equal(p->nrules, 3);
                /* No GPU procfs directory, but the mask and the driver files. */
                assert_int_equal(count_type(p, PLAN_MOUNT_PROC), 0);
                assert_non_null(find_mask(p, PROCDIR));
                expect_lib(p, s, LIBDIR, LIBDIR, "libcuda");
                expect_lib(p, s, LIBDIR, LIBDIR, "libnvidia-ml");
                expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, "/usr/bin/nvidia-smi"),
                             "/usr/bin/nvidia-smi");
        }

        /* A NULL selection is "none" too. */
        req = req_of(f, NVCR_CAP_UTILITY);
        nvcr_plan_free(f->plan);
        f->plan = NULL;
        assert_int_equal(nvcr_plan_build(s->ctx, s->inv, NULL, &req, &f->plan, NULL, NULL), 0);
        assert_non_null(f->plan);
        assert_int_equal(count_type(f->plan, PLAN_MOUNT_DEVICE), 1);
        expect_device(f->plan, s, "/dev/nvidiactl", 195, 255);
}

static void test_devices_no_devbind_no_cgroups(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE);
        req.flags = NVCR_REQ_NO_DEVBIND;
        req.imex_channels = "3";
        p = plan_ok(f, s, "0,2", &req);
        assert_int_equal(p->flags, NVCR_REQ_NO_DEVBIND);
        assert_int_equal(count_type(p, PLAN_MOUNT_DEVICE), 0);
        assert_int_equal(p->nrules, 6);
        assert_true(has_rule(p, 195, 255));
        assert_true(has_rule(p, 195, 4));
        assert_true(has_rule(p, 195, 0));
        assert_true(has_rule(p, 238, 0));
        assert_true(has_rule(p, 238, 1));
        assert_true(has_rule(p, 242, 3));
        /* The GPUs' procfs directories are not device nodes: still there. */
        assert_int_equal(count_type(p, PLAN_MOUNT_PROC), 2);

        req.flags = NVCR_REQ_NO_CGROUPS;
        p = plan_ok(f, s, "0,2", &req);
        assert_int_equal(p->nrules, 0);
        assert_null(p->rules);
        assert_int_equal(count_type(p, PLAN_MOUNT_DEVICE), 6);
        expect_device(p, s, "/dev/nvidia4", 195, 4);
        expect_device(p, s, "/dev/nvidia-caps-imex-channels/channel3", 242, 3);

        req.flags = NVCR_REQ_NO_CGROUPS | NVCR_REQ_NO_DEVBIND;
        p = plan_ok(f, s, "0,2", &req);
        assert_int_equal(p->nrules, 0);
        assert_int_equal(count_type(p, PLAN_MOUNT_DEVICE), 0);
        expect_lib(p, s, LIBDIR, LIBDIR, "libcuda");
}

/* ------------------------------------------------------------ procfs mask */

static char *slurp(const char *path)
{
        FILE *fp = fopen(path, "re");
        char *buf = calloc(1, 1 << 16);
        size_t n;

        assert_non_null(fp);
        assert_non_null(buf);
        n = fread(buf, 1, (1 << 16) - 1, fp);
        buf[n] = '\0';
        (void)fclose(fp);
        return buf;
}

static void test_procfs_mask(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        const struct plan_tmpfs *m;
        const struct plan_file *params, *version, *registry;
        const struct plan_mount *pm;
        struct nvcr_request req;
        struct nvcr_plan *p;
        char *host_params, *host_version;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY);
        p = plan_ok(f, s, "0,2", &req);
        assert_true(p->nmasks >= 1);
        m = &p->masks[0];
        assert_string_equal(m->target, PROCDIR);
        assert_int_equal(m->mode, 0555);
        assert_non_null(m->same_fs_as);
        assert_string_equal(m->same_fs_as, hproc(s, PROCDIR));
        assert_int_equal(m->nfiles, 3);
        params = find_mask_file(m, "params");
        version = find_mask_file(m, "version");
        registry = find_mask_file(m, "registry");
        assert_non_null(params);
        assert_non_null(version);
        assert_non_null(registry);
        assert_int_equal(params->mode, 0444);
        assert_int_equal(version->mode, 0444);

        /* params: ModifyDeviceFiles forced to 0, everything else kept. */
        host_params = slurp(hproc(s, PROCDIR "/params"));
        assert_non_null(strstr(host_params, "ModifyDeviceFiles: 1\n"));
        assert_non_null(strstr(params->content, "ModifyDeviceFiles: 0\n"));
        assert_null(strstr(params->content, "ModifyDeviceFiles: 1"));
        assert_non_null(strstr(params->content, "DeviceFileMode: 438\n"));
        assert_non_null(strstr(params->content, "EnableMSI: 1\n"));
        assert_int_equal(params->len, strlen(host_params));
        assert_int_equal(params->len, strlen(params->content));
        free(host_params);
        /* version: a verbatim copy. */
        host_version = slurp(hproc(s, PROCDIR "/version"));
        assert_string_equal(version->content, host_version);
        assert_int_equal(version->len, strlen(host_version));
        assert_non_null(strstr(version->content, DRV));
        free(host_version);

        /* Only the selected GPUs' directories are bound into it. */
        assert_int_equal(count_type(p, PLAN_MOUNT_PROC), 2);
        pm = expect_mount(p, PLAN_MOUNT_PROC, hproc(s, PROCDIR "/gpus/0000:07:00.0"),
                          PROCDIR "/gpus/0000:07:00.0");
        assert_true(pm->is_dir);
        pm = expect_mount(p, PLAN_MOUNT_PROC, hproc(s, PROCDIR "/gpus/0000:47:00.0"),
                          PROCDIR "/gpus/0000:47:00.0");
        assert_true(pm->is_dir);
        expect_no_mount(p, PROCDIR "/gpus/0000:0f:00.0");
        /* Every procfs mount lies inside the mask. */
        for (size_t i = 0; i < p->nmounts; i++)
                if (p->mounts[i].type == PLAN_MOUNT_PROC)
                        assert_int_equal(strncmp(p->mounts[i].target, PROCDIR "/",
                                                 strlen(PROCDIR "/")),
                                         0);
}

/* ------------------------------------------------------------ MIG */

static void test_mig_device(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIMMIG);
        const char *caps = PROCDIR "/capabilities/gpu1/mig";
        const struct plan_mount *m;
        struct nvcr_request req;
        struct nvcr_plan *p;

        assert_int_equal(s->inv->ngpus, 1);
        assert_int_equal(s->inv->gpus[0].nmigs, 3);
        assert_int_equal(s->inv->major_caps, 241);
        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE);
        p = plan_ok(f, s, "0:0", &req);
        /* The parent GPU's node and procfs directory. */
        expect_device(p, s, "/dev/nvidia1", 195, 1);
        expect_mount(p, PLAN_MOUNT_PROC, hproc(s, PROCDIR "/gpus/0000:00:06.0"),
                     PROCDIR "/gpus/0000:00:06.0");
        /* gi1/ci0: the access files and their capability nodes. */
        m = expect_mount(p, PLAN_MOUNT_PROC, hproc(s, fmt("%s/gi1/access", caps)),
                         fmt("%s/gi1/access", caps));
        assert_false(m->is_dir);
        m = expect_mount(p, PLAN_MOUNT_PROC, hproc(s, fmt("%s/gi1/ci0/access", caps)),
                         fmt("%s/gi1/ci0/access", caps));
        assert_false(m->is_dir);
        expect_device(p, s, "/dev/nvidia-caps/nvidia-cap147", 241, 147);
        expect_device(p, s, "/dev/nvidia-caps/nvidia-cap148", 241, 148);
        expect_no_mount(p, "/dev/nvidia-caps/nvidia-cap156");
        expect_no_mount(p, "/dev/nvidia-caps/nvidia-cap1");
        expect_no_mount(p, fmt("%s/gi2/access", caps));
        expect_no_mount(p, PROCDIR "/capabilities/mig/config");
        expect_no_mount(p, caps);
        /* ctl, uvm, uvm-tools, GPU, two caps. */
        assert_int_equal(count_type(p, PLAN_MOUNT_DEVICE), 6);
        expect_rules_match_devices(p);
        assert_true(has_rule(p, 241, 147));
        assert_true(has_rule(p, 241, 148));

        /* 0:2 is gi2/ci1: the GI shares its node with 0:1, the CI does not. */
        p = plan_ok(f, s, "0:2", &req);
        expect_device(p, s, "/dev/nvidia-caps/nvidia-cap156", 241, 156);
        expect_device(p, s, "/dev/nvidia-caps/nvidia-cap158", 241, 158);
        expect_no_mount(p, "/dev/nvidia-caps/nvidia-cap157");
        expect_no_mount(p, "/dev/nvidia-caps/nvidia-cap147");
        expect_mount(p, PLAN_MOUNT_PROC, hproc(s, fmt("%s/gi2/ci1/access", caps)),
                     fmt("%s/gi2/ci1/access", caps));
        expect_no_mount(p, fmt("%s/gi2/ci0/access", caps));
        expect_device(p, s, "/dev/nvidia1", 195, 1);
        expect_rules_match_devices(p);

        /* The whole GPU: no MIG access file, no capability node. */
        p = plan_ok(f, s, "0", &req);
        expect_device(p, s, "/dev/nvidia1", 195, 1);
        assert_int_equal(count_prefix(p, "/dev/nvidia-caps/"), 0);
        assert_int_equal(count_prefix(p, PROCDIR "/capabilities"), 0);
}

static void test_mig_config_monitor(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIMMIG);
        const char *caps = PROCDIR "/capabilities/gpu1/mig";
        static const unsigned minors[] = {147, 148, 156, 157, 158};
        const struct plan_mount *m;
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY);
        req.mig_config = "all";
        p = plan_ok(f, s, "0", &req);
        m = expect_mount(p, PLAN_MOUNT_PROC, hproc(s, PROCDIR "/capabilities/mig/config"),
                         PROCDIR "/capabilities/mig/config");
        assert_false(m->is_dir);
        expect_device(p, s, "/dev/nvidia-caps/nvidia-cap1", 241, 1);
        m = expect_mount(p, PLAN_MOUNT_PROC, hproc(s, caps), caps);
        assert_true(m->is_dir);
        for (size_t i = 0; i < sizeof(minors) / sizeof(minors[0]); i++)
                expect_device(p, s, fmt("/dev/nvidia-caps/nvidia-cap%u", minors[i]), 241,
                              minors[i]);
        expect_no_mount(p, PROCDIR "/capabilities/mig/monitor");
        expect_no_mount(p, "/dev/nvidia-caps/nvidia-cap2");
        expect_rules_match_devices(p);

        /* monitor: its own file and node. */
        req.mig_config = NULL;
        req.mig_monitor = "all";
        p = plan_ok(f, s, "0", &req);
        expect_mount(p, PLAN_MOUNT_PROC, hproc(s, PROCDIR "/capabilities/mig/monitor"),
                     PROCDIR "/capabilities/mig/monitor");
        expect_device(p, s, "/dev/nvidia-caps/nvidia-cap2", 241, 2);
        expect_no_mount(p, PROCDIR "/capabilities/mig/config");
        expect_no_mount(p, "/dev/nvidia-caps/nvidia-cap1");

        /* "all" devices selected (MIG devices included) is fine. */
        req.mig_monitor = NULL;
        req.mig_config = "all";
        p = plan_ok(f, s, "all", &req);
        expect_device(p, s, "/dev/nvidia-caps/nvidia-cap1", 241, 1);
        expect_rules_match_devices(p);
}

static void test_mig_config_errors(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIMMIG);
        struct nvcr_err err;
        struct nvcr_request req;
        const char *phase;
        int r;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY);
        req.mig_config = "0";
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(phase, "mig-config");
        assert_string_equal(err.msg, "only 'all' devices are currently supported");

        req.mig_config = NULL;
        req.mig_monitor = "0:0";
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(phase, "mig-monitor");
        assert_string_equal(err.msg, "only 'all' devices are currently supported");

        /* "all" but with a specific MIG device selected. */
        req.mig_monitor = NULL;
        req.mig_config = "all";
        r = plan_err(f, s, "0:0", &req, &phase, &err);
        assert_true(r < 0);
        assert_string_equal(phase, "mig-config");
        req.mig_config = NULL;
        req.mig_monitor = "all";
        r = plan_err(f, s, "0:1", &req, &phase, &err);
        assert_true(r < 0);
        assert_string_equal(phase, "mig-monitor");
}

/* ------------------------------------------------------------ IMEX */

static void test_imex(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        static const char *const bad[] = {"abc", "1048576", "-1", "1,x", "2,1048576", "+1",
                                          " 1", "0x1", "4294967297", "18446744073709551617"};
        struct nvcr_request req;
        struct nvcr_plan *p;
        struct nvcr_err err;
        const char *phase;

        assert_int_equal(s->inv->major_imex, 242);
        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY);
        req.imex_channels = "1,2";
        p = plan_ok(f, s, "0", &req);
        expect_device(p, s, "/dev/nvidia-caps-imex-channels/channel1", 242, 1);
        expect_device(p, s, "/dev/nvidia-caps-imex-channels/channel2", 242, 2);
        expect_no_mount(p, "/dev/nvidia-caps-imex-channels/channel0");
        assert_int_equal(count_prefix(p, "/dev/nvidia-caps-imex-channels/"), 2);
        assert_true(has_rule(p, 242, 1));
        assert_true(has_rule(p, 242, 2));
        expect_rules_match_devices(p);

        /* The bounds: 0 and 2^20 - 1. */
        req.imex_channels = "0,1048575";
        p = plan_ok(f, s, "0", &req);
        expect_device(p, s, "/dev/nvidia-caps-imex-channels/channel0", 242, 0);
        expect_device(p, s, "/dev/nvidia-caps-imex-channels/channel1048575", 242, 1048575);

        /* None asked: none planned. */
        req.imex_channels = NULL;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_prefix(p, "/dev/nvidia-caps-imex-channels/"), 0);
        assert_false(has_rule(p, 242, 0));

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *tok = strrchr(bad[i], ',') ? strrchr(bad[i], ',') + 1 : bad[i];
                int r;

                req.imex_channels = bad[i];
                select_into(f, s, "0");
                nvcr_plan_free(f->plan);
                f->plan = NULL;
                phase = NULL;
                memset(&err, 0, sizeof(err));
                r = nvcr_plan_build(s->ctx, s->inv, f->sel, &req, &f->plan, &phase, &err);
                if (r != -EINVAL)
                        fail_msg("imex channels \"%s\": %d, expected -EINVAL", bad[i], r);
                assert_null(f->plan);
                assert_non_null(phase);
                assert_string_equal(phase, "input");
                assert_string_equal(err.msg, fmt("unsupported IMEX channel value: %s", tok));
        }
}

/*
 * An IMEX channel list that names no channel ("", or an empty token) is no
 * channel id < 2^20: refused like any other bad value, not taken as "none".
 */
static void test_imex_empty_value(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        static const char *const bad[] = {"", ",", "1,,2"};
        struct nvcr_request req;
        struct nvcr_err err;
        const char *phase;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r;

                req.imex_channels = bad[i];
                select_into(f, s, "0");
                nvcr_plan_free(f->plan);
                f->plan = NULL;
                phase = NULL;
                memset(&err, 0, sizeof(err));
                r = nvcr_plan_build(s->ctx, s->inv, f->sel, &req, &f->plan, &phase, &err);
                if (r != -EINVAL)
                        fail_msg("imex channels \"%s\": %d, expected -EINVAL", bad[i], r);
                assert_null(f->plan);
                assert_string_equal(phase, "input");
                assert_string_equal(err.msg, "unsupported IMEX channel value: ");
        }
}

/* ------------------------------------------------------------ flags */

static void expect_firmware(const struct nvcr_plan *p, const struct sim *s, const char *name)
{
        const struct plan_mount *m = find_mount(p, fmt("/lib/firmware/nvidia/%s/%s", DRV, name));
        struct stat st;

        if (m == NULL)
                fail_msg("no firmware mount for %s", name);
        assert_int_equal(m->type, PLAN_MOUNT_DRIVER_FILE);
        /* The host file under the driver root (debian: /usr/lib/firmware or /lib/firmware). */
        assert_int_equal(strncmp(m->source, s->root, strlen(s->root)), 0);
        assert_non_null(strstr(m->source, fmt("/firmware/nvidia/%s/%s", DRV, name)));
        assert_int_equal(stat(m->source, &st), 0);
        assert_true(S_ISREG(st.st_mode));
}

static void test_flags(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE);
        p = plan_ok(f, s, "0", &req);
        expect_mount(p, PLAN_MOUNT_IPC, host(s, "/run/nvidia-persistenced/socket"),
                     "/run/nvidia-persistenced/socket");
        expect_mount(p, PLAN_MOUNT_IPC, host(s, "/run/nvidia-fabricmanager/socket"),
                     "/run/nvidia-fabricmanager/socket");
        expect_mount(p, PLAN_MOUNT_DRIVER_FILE, host(s, "/usr/bin/nv-fabricmanager"),
                     "/usr/bin/nv-fabricmanager");
        expect_firmware(p, s, "gsp_ga10x.bin");
        expect_firmware(p, s, "gsp_tu10x.bin");
        assert_int_equal(count_prefix(p, "/lib/firmware/"), 2);
        assert_int_equal(count_type(p, PLAN_MOUNT_IPC), 3); /* + the MPS directory */

        req.flags = NVCR_REQ_NO_PERSISTENCED;
        p = plan_ok(f, s, "0", &req);
        expect_no_mount(p, "/run/nvidia-persistenced/socket");
        expect_mount(p, PLAN_MOUNT_IPC, host(s, "/run/nvidia-fabricmanager/socket"),
                     "/run/nvidia-fabricmanager/socket");
        assert_int_equal(count_prefix(p, "/lib/firmware/"), 2);

        req.flags = NVCR_REQ_NO_FABRICMANAGER;
        p = plan_ok(f, s, "0", &req);
        expect_no_mount(p, "/run/nvidia-fabricmanager/socket");
        expect_mount(p, PLAN_MOUNT_IPC, host(s, "/run/nvidia-persistenced/socket"),
                     "/run/nvidia-persistenced/socket");

        req.flags = NVCR_REQ_NO_GSP_FIRMWARE;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_prefix(p, "/lib/firmware/"), 0);
        for (size_t i = 0; i < p->nmounts; i++)
                assert_null(strstr(p->mounts[i].source, "gsp_"));
        expect_mount(p, PLAN_MOUNT_IPC, host(s, "/run/nvidia-persistenced/socket"),
                     "/run/nvidia-persistenced/socket");

        req.flags = NVCR_REQ_NO_PERSISTENCED | NVCR_REQ_NO_FABRICMANAGER |
                    NVCR_REQ_NO_GSP_FIRMWARE;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_type(p, PLAN_MOUNT_IPC), 1);
        expect_mount(p, PLAN_MOUNT_IPC, host(s, "/tmp/nvidia-mps"), "/tmp/nvidia-mps");

        /* Firmware whatever the capabilities; sockets need utility. */
        req = req_of(f, NVCR_CAP_GRAPHICS);
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_prefix(p, "/lib/firmware/nvidia/" DRV "/gsp_"), 2);
        assert_int_equal(count_type(p, PLAN_MOUNT_IPC), 0);
}

/* ------------------------------------------------------------ symlinks */

static void test_symlinks(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE | NVCR_CAP_GRAPHICS);
        p = plan_ok(f, s, "0", &req);
        expect_symlink(p, LIBDIR "/libcuda.so.1", "libcuda.so." DRV);
        expect_symlink(p, LIBDIR "/libcuda.so", "libcuda.so.1");
        expect_symlink(p, LIBDIR "/libnvidia-ml.so.1", "libnvidia-ml.so." DRV);
        expect_symlink(p, LIBDIR "/libnvidia-cfg.so.1", "libnvidia-cfg.so." DRV);
        expect_symlink(p, LIBDIR "/libnvidia-nvvm.so.4", "libnvidia-nvvm.so." DRV);
        expect_symlink(p, LIBDIR "/libGLX_nvidia.so.0", "libGLX_nvidia.so." DRV);
        expect_symlink(p, LIBDIR "/libGLX_indirect.so.0", "libGLX_nvidia.so." DRV);
        expect_symlink(p, LIBDIR "/libEGL_nvidia.so.0", "libEGL_nvidia.so." DRV);
        /* A library whose soname is its own name gets no link onto itself. */
        assert_null(find_symlink(p, LIBDIR "/libnvidia-glcore.so." DRV));
        assert_null(find_symlink(p, LIBDIR "/libnvidia-gpucomp.so." DRV));
        /* Links sit in the library directory and name a plain file next to them. */
        for (size_t i = 0; i < p->nsymlinks; i++) {
                const char *next = fmt("%s/%s", LIBDIR, p->symlinks[i].target);

                assert_null(strchr(p->symlinks[i].target, '/'));
                assert_int_equal(strncmp(p->symlinks[i].path, LIBDIR "/", strlen(LIBDIR "/")),
                                 0);
                if (find_mount(p, next) == NULL && find_symlink(p, next) == NULL)
                        fail_msg("%s -> %s: dangling", p->symlinks[i].path,
                                 p->symlinks[i].target);
        }

        /* Without graphics: no GLX indirect link; without compute no libcuda.so. */
        req = req_of(f, NVCR_CAP_UTILITY);
        p = plan_ok(f, s, "0", &req);
        assert_null(find_symlink(p, LIBDIR "/libGLX_indirect.so.0"));
        assert_null(find_symlink(p, LIBDIR "/libcuda.so"));
        assert_null(find_symlink(p, LIBDIR "/libcuda.so.1"));
        expect_symlink(p, LIBDIR "/libnvidia-ml.so.1", "libnvidia-ml.so." DRV);
}

/* ------------------------------------------------------------ CUDA compat */

static void test_compat_modes(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        const struct plan_mount *m;
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        add_compat_lib(f, "libcuda.so.999.1.2");

        /* Default: the compat dir goes first into the ldconfig run, nothing mounted. */
        req = req_of(f, NVCR_CAP_COMPUTE);
        assert_int_equal(req.compat_mode, NVCR_COMPAT_LDCONFIG);
        p = plan_ok(f, s, "0", &req);
        assert_true(p->nldconfig_dirs >= 2);
        assert_string_equal(p->ldconfig_dirs[0], COMPAT);
        assert_string_equal(p->ldconfig_dirs[1], LIBDIR);
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 0);
        expect_no_mount(p, LIBDIR "/libcuda.so.999.1.2");

        /* mount: bound next to the driver libraries. */
        req.compat_mode = NVCR_COMPAT_MOUNT;
        p = plan_ok(f, s, "0", &req);
        m = expect_mount(p, PLAN_MOUNT_IMAGE_FILE, COMPAT "/libcuda.so.999.1.2",
                         LIBDIR "/libcuda.so.999.1.2");
        assert_false(m->is_dir);
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 1);
        assert_false(has_ldconfig_dir(p, COMPAT));
        expect_lib(p, s, LIBDIR, LIBDIR, "libcuda");

        /* Non-Debian: next to the libraries in /usr/lib64. */
        make_rootfs(f, 0);
        add_compat_lib(f, "libcuda.so.999.1.2");
        req.rootfs = f->rootfs;
        p = plan_ok(f, s, "0", &req);
        expect_mount(p, PLAN_MOUNT_IMAGE_FILE, COMPAT "/libcuda.so.999.1.2",
                     "/usr/lib64/libcuda.so.999.1.2");

        /* disabled: neither. */
        req.compat_mode = NVCR_COMPAT_DISABLED;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 0);
        assert_false(has_ldconfig_dir(p, COMPAT));

        /* Without compute nothing comes from the compat directory. */
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_VIDEO | NVCR_CAP_GRAPHICS);
        p = plan_ok(f, s, "0", &req);
        assert_false(has_ldconfig_dir(p, COMPAT));
        req.compat_mode = NVCR_COMPAT_MOUNT;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 0);
}

static void test_compat_filtered(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        /* Majors at or below the host's, a symlink (CVE-2024-0132), not a library. */
        make_rootfs(f, RFS_DEBIAN);
        add_compat_lib(f, "libcuda.so.580.1.1");
        add_compat_lib(f, "libcuda.so.100.1");
        add_compat_lib(f, "libnvidia-nvvm.so.580.159.04");
        add_compat_lib(f, "cuda.so.999.1");
        add_compat_lib(f, "libcuda.so.abc");
        assert_int_equal(symlink("libcuda.so.580.1.1", in_rfs(f, COMPAT "/libcuda.so.999.0.0")), 0);
        assert_int_equal(
                symlink("/etc/passwd", in_rfs(f, COMPAT "/libnvidia-ptxjitcompiler.so.999.1")), 0);
        mkdirs(in_rfs(f, COMPAT "/libdir.so.999.1"));

        req = req_of(f, NVCR_CAP_COMPUTE);
        p = plan_ok(f, s, "0", &req);
        assert_false(has_ldconfig_dir(p, COMPAT));
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 0);
        req.compat_mode = NVCR_COMPAT_MOUNT;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 0);
        expect_no_mount(p, LIBDIR "/libcuda.so.999.0.0");
        expect_no_mount(p, LIBDIR "/libcuda.so.580.1.1");

        /* One good library among them: only that one. */
        add_compat_lib(f, "libcuda.so.999.1.2");
        add_compat_lib(f, "libnvidia-ptxjitcompiler.so.999.1.2");
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 2);
        expect_mount(p, PLAN_MOUNT_IMAGE_FILE, COMPAT "/libcuda.so.999.1.2",
                     LIBDIR "/libcuda.so.999.1.2");
        expect_mount(p, PLAN_MOUNT_IMAGE_FILE, COMPAT "/libnvidia-ptxjitcompiler.so.999.1.2",
                     LIBDIR "/libnvidia-ptxjitcompiler.so.999.1.2");
        req.compat_mode = NVCR_COMPAT_LDCONFIG;
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->ldconfig_dirs[0], COMPAT);
        assert_int_equal(p->nldconfig_dirs, 2);
}

/* ------------------------------------------------------------ ldconfig */

static void test_ldconfig(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;
        struct nvcr_err err;
        const char *phase;
        int r;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_COMPUTE | NVCR_CAP_UTILITY);
        p = plan_ok(f, s, "0", &req);
        assert_non_null(p->ldconfig);
        assert_string_equal(p->ldconfig, host_ldconfig());
        assert_int_equal(p->nldconfig_dirs, 1);
        assert_string_equal(p->ldconfig_dirs[0], LIBDIR);

        req.caps |= NVCR_CAP_COMPAT32;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(p->nldconfig_dirs, 2);
        assert_string_equal(p->ldconfig_dirs[0], LIBDIR);
        assert_string_equal(p->ldconfig_dirs[1], LIB32DIR);

        /* An explicit host ldconfig is taken as given. */
        req.ldconfig = "@/usr/sbin/ldconfig";
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->ldconfig, "@/usr/sbin/ldconfig");

        /* The image's ldconfig only when allowed. */
        req.ldconfig = "/sbin/ldconfig";
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -EPERM);
        assert_string_equal(phase, "input");
        assert_non_null(strstr(err.msg, "refusing"));
        req.flags = NVCR_REQ_ALLOW_CONTAINER_LDCONFIG;
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->ldconfig, "/sbin/ldconfig");
        assert_int_equal(p->nldconfig_dirs, 2);

        /* Relative paths never. */
        req.ldconfig = "@sbin/ldconfig";
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(phase, "input");
        req.ldconfig = "sbin/ldconfig";
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(phase, "input");
        req.ldconfig = "@";
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -EINVAL);

        /* No ldconfig run at all. */
        req.flags = NVCR_REQ_NO_LDCONFIG;
        req.ldconfig = NULL;
        p = plan_ok(f, s, "0", &req);
        assert_null(p->ldconfig);
        assert_int_equal(p->nldconfig_dirs, 0);
        expect_lib(p, s, LIBDIR, LIBDIR, "libcuda");
}

/* ------------------------------------------------------------ rootfs */

static void test_invalid_rootfs(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        static const char *const invalid[] = {"relative", "/", "", "relative/dir"};
        struct nvcr_request req;
        struct nvcr_err err;
        const char *phase;
        int r;

        req = req_of(f, NVCR_CAP_UTILITY);
        req.rootfs = NULL;
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -EINVAL);
        assert_string_equal(phase, "input");
        assert_non_null(strstr(err.msg, "invalid rootfs directory"));
        for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
                req.rootfs = invalid[i];
                r = plan_err(f, s, "0", &req, &phase, &err);
                assert_int_equal(r, -EINVAL);
                assert_string_equal(phase, "input");
                assert_non_null(strstr(err.msg, "invalid rootfs directory"));
        }

        /* An absolute path that is not there, or not a directory. */
        req.rootfs = fmt("%s/does-not-exist", f->top);
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -ENOENT);
        assert_string_equal(phase, "container");
        assert_non_null(strstr(err.msg, "does-not-exist"));
        make_rootfs(f, RFS_DEBIAN);
        req.rootfs = in_rfs(f, "/etc/debian_version");
        r = plan_err(f, s, "0", &req, &phase, &err);
        assert_int_equal(r, -ENOTDIR);
        assert_string_equal(phase, "container");
}

/* Other spellings of the host's "/" are no container rootfs either (features.md §1.4). */
static void test_rootfs_other_spellings_of_slash(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        static const char *const slash[] = {"//", "/.", "/..", "/tmp/.."};
        struct nvcr_request req;
        struct nvcr_err err;
        const char *phase;

        req = req_of(f, NVCR_CAP_UTILITY);
        for (size_t i = 0; i < sizeof(slash) / sizeof(slash[0]); i++) {
                int r;

                req.rootfs = slash[i];
                select_into(f, s, "0");
                memset(&err, 0, sizeof(err));
                phase = NULL;
                nvcr_plan_free(f->plan);
                f->plan = NULL;
                r = nvcr_plan_build(s->ctx, s->inv, f->sel, &req, &f->plan, &phase, &err);
                if (r != -EINVAL)
                        fail_msg("rootfs \"%s\" (the host's /): %d, expected -EINVAL", slash[i],
                                 r);
                assert_null(f->plan);
                assert_string_equal(phase, "input");
                assert_non_null(strstr(err.msg, "invalid rootfs directory"));
        }
}

static void test_rootfs_owner(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        struct nvcr_request req;
        struct nvcr_plan *p;

        make_rootfs(f, RFS_DEBIAN);
        assert_int_equal(chown(f->rootfs, 1234, 5678), 0);
        req = req_of(f, NVCR_CAP_UTILITY);
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(p->uid, 1234);
        assert_int_equal(p->gid, 5678);
        /* With a pid: the owner of its /proc entry. */
        req.pid = getpid();
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(p->pid, getpid());
        assert_int_equal(p->uid, getuid());
        assert_int_equal(p->gid, getgid());
}

/* The builder reads the image only inside it: symlinks out of it lead nowhere. */
static void test_rootfs_links_stay_inside(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        char outside[PATH_MAX];
        struct nvcr_request req;
        struct nvcr_plan *p;
        struct stat st;

        /* The host file the escaping links aim at exists (else this proves nothing). */
        assert_int_equal(stat("/etc/passwd", &st), 0);

        /* /etc/debian_version -> an absolute path climbing out: not Debian. */
        make_rootfs(f, 0);
        assert_int_equal(symlink("/../../../../etc/passwd", in_rfs(f, "/etc/debian_version")), 0);
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPAT32);
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->libdir, "/usr/lib64");
        assert_string_equal(p->lib32dir, "/usr/lib");

        /* The same, relative. */
        make_rootfs(f, 0);
        assert_int_equal(symlink("../../../../../../../../../etc/passwd",
                                 in_rfs(f, "/etc/debian_version")),
                         0);
        req.rootfs = f->rootfs;
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->libdir, "/usr/lib64");

        /* The host's absolute path of a real file: not inside the image. */
        make_rootfs(f, 0);
        (void)snprintf(outside, sizeof(outside), "%s/outside", f->top);
        mkdirs(outside);
        write_file(fmt("%s/debian_version", outside), "12.5\n");
        assert_int_equal(symlink(fmt("%s/debian_version", outside),
                                 in_rfs(f, "/etc/debian_version")),
                         0);
        /* /usr/lib32 -> a host directory: not the image's. */
        mkdirs(fmt("%s/lib32", outside));
        assert_int_equal(symlink(fmt("%s/lib32", outside), in_rfs(f, "/usr/lib32")), 0);
        req.rootfs = f->rootfs;
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->libdir, "/usr/lib64");
        assert_string_equal(p->lib32dir, "/usr/lib");

        /* A link that stays inside is followed. */
        make_rootfs(f, 0);
        write_file(in_rfs(f, "/etc/debian_version.real"), "12.5\n");
        assert_int_equal(symlink("/etc/debian_version.real", in_rfs(f, "/etc/debian_version")), 0);
        mkdirs(in_rfs(f, "/usr/lib32.real"));
        assert_int_equal(symlink("lib32.real", in_rfs(f, "/usr/lib32")), 0);
        req.rootfs = f->rootfs;
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->libdir, LIBDIR);
        assert_string_equal(p->lib32dir, LIB32DIR);
        make_rootfs(f, 0);
        mkdirs(in_rfs(f, "/usr/lib32.real"));
        assert_int_equal(symlink("/usr/lib32.real", in_rfs(f, "/usr/lib32")), 0);
        req.rootfs = f->rootfs;
        p = plan_ok(f, s, "0", &req);
        assert_string_equal(p->lib32dir, "/usr/lib32");
}

static void test_rootfs_compat_links_stay_inside(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        char outside[PATH_MAX];
        struct nvcr_request req;
        struct nvcr_plan *p;

        /* A host directory full of newer compat libraries. */
        (void)snprintf(outside, sizeof(outside), "%s/outside-cuda", f->top);
        mkdirs(fmt("%s/compat", outside));
        write_file(fmt("%s/compat/libcuda.so.999.1.2", outside), "x");

        /* /usr/local/cuda -> that host directory (absolute): nothing found. */
        make_rootfs(f, RFS_DEBIAN);
        mkdirs(in_rfs(f, "/usr/local"));
        assert_int_equal(symlink(outside, in_rfs(f, "/usr/local/cuda")), 0);
        req = req_of(f, NVCR_CAP_COMPUTE);
        req.compat_mode = NVCR_COMPAT_MOUNT;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 0);
        req.compat_mode = NVCR_COMPAT_LDCONFIG;
        p = plan_ok(f, s, "0", &req);
        assert_false(has_ldconfig_dir(p, COMPAT));

        /* Climbing out with "..": nothing found either. */
        make_rootfs(f, RFS_DEBIAN);
        mkdirs(in_rfs(f, "/usr/local/cuda"));
        assert_int_equal(symlink(fmt("../../../../../../../../..%s/compat", outside),
                                 in_rfs(f, COMPAT)),
                         0);
        req.rootfs = f->rootfs;
        req.compat_mode = NVCR_COMPAT_MOUNT;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(count_type(p, PLAN_MOUNT_IMAGE_FILE), 0);

        /* /usr/local/cuda -> /usr/local/cuda-13.0 inside the image: found. */
        make_rootfs(f, RFS_DEBIAN);
        mkdirs(in_rfs(f, "/usr/local/cuda-13.0/compat"));
        write_file(in_rfs(f, "/usr/local/cuda-13.0/compat/libcuda.so.999.1.2"), "x");
        assert_int_equal(symlink("/usr/local/cuda-13.0", in_rfs(f, "/usr/local/cuda")), 0);
        req.rootfs = f->rootfs;
        p = plan_ok(f, s, "0", &req);
        expect_mount(p, PLAN_MOUNT_IMAGE_FILE, COMPAT "/libcuda.so.999.1.2",
                     LIBDIR "/libcuda.so.999.1.2");
}

/* ------------------------------------------------------------ untouched rootfs */

static char *snap;
static size_t snap_len, snap_cap;

static int snap_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        char line[PATH_MAX + 256];
        int n;

        (void)ftw;
        n = snprintf(line, sizeof(line), "%s %d %o %lld %u:%u %lld.%09ld %lld.%09ld\n", path,
                     flag, (unsigned)st->st_mode, (long long)st->st_size, (unsigned)st->st_uid,
                     (unsigned)st->st_gid, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                     (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
        if (n < 0)
                return -1;
        if (snap_len + (size_t)n + 1 > snap_cap) {
                size_t cap = (snap_cap + (size_t)n + 1) * 2;
                char *nb = realloc(snap, cap);

                if (nb == NULL)
                        return -1;
                snap = nb;
                snap_cap = cap;
        }
        memcpy(snap + snap_len, line, (size_t)n + 1);
        snap_len += (size_t)n;
        return 0;
}

/* A listing of the tree: names, types, modes, sizes, owners, times. Caller frees. */
static char *snapshot(const char *dir)
{
        char *r;

        snap = NULL;
        snap_len = snap_cap = 0;
        assert_int_equal(nftw(dir, snap_entry, 32, FTW_PHYS), 0);
        assert_non_null(snap);
        r = snap;
        snap = NULL;
        return r;
}

static void test_rootfs_untouched(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIMMIG);
        struct nvcr_request req;
        char *before, *after;

        make_rootfs(f, RFS_DEBIAN | RFS_LIB32);
        add_compat_lib(f, "libcuda.so.999.1.2");
        add_compat_lib(f, "libcuda.so.100.1");
        assert_int_equal(symlink("libcuda.so.100.1", in_rfs(f, COMPAT "/libcuda.so.999.0.0")), 0);
        assert_int_equal(symlink("/../../../../etc", in_rfs(f, "/etc/escape")), 0);
        before = snapshot(f->rootfs);

        req = req_of(f, NVCR_CAP_ALL);
        req.mig_config = "all";
        req.mig_monitor = "all";
        req.imex_channels = "1,2";
        (void)plan_ok(f, s, "0", &req);
        req.compat_mode = NVCR_COMPAT_MOUNT;
        req.mig_config = req.mig_monitor = NULL;
        (void)plan_ok(f, s, "0:1", &req);
        req.flags = NVCR_REQ_ALLOW_CONTAINER_LDCONFIG;
        req.ldconfig = "/sbin/ldconfig";
        (void)plan_ok(f, s, "all", &req);
        req = req_of(f, NVCR_CAP_UTILITY);
        req.ldconfig = "/sbin/ldconfig"; /* refused */
        {
                struct nvcr_err err;
                const char *phase;

                (void)plan_err(f, s, "0", &req, &phase, &err);
        }

        after = snapshot(f->rootfs);
        if (strcmp(before, after) != 0) {
                print_message("before:\n%s\nafter:\n%s\n", before, after);
                free(before);
                free(after);
                fail_msg("building a plan changed the rootfs");
        }
        free(before);
        free(after);
        /* The builder never made a library directory or link in the image. */
        assert_int_equal(access(in_rfs(f, LIBDIR "/libcuda.so.1"), F_OK), -1);
}

/* ------------------------------------------------------------ JSON */

static json_object *get(json_object *o, const char *key)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("JSON has no key \"%s\"", key);
        return v;
}

static bool json_array_has_string(json_object *a, const char *s)
{
        for (size_t i = 0; i < json_object_array_length(a); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
                        return true;
        return false;
}

static void test_json(void **state)
{
        struct fixture *f = *state;
        struct sim *s = sim_get(f, SIM8);
        json_object *root, *a, *o, *ld;
        struct nvcr_err err = {0};
        struct nvcr_request req;
        struct nvcr_plan *p;
        char *text = NULL;
        bool found;

        make_rootfs(f, RFS_DEBIAN);
        req = req_of(f, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE | NVCR_CAP_GRAPHICS);
        p = plan_ok(f, s, "0,2", &req);
        assert_int_equal(nvcr_plan_to_json(p, &text, &err), 0);
        assert_non_null(text);
        root = json_tokener_parse(text);
        if (root == NULL)
                fail_msg("not JSON: %s", text);
        free(text);
        assert_true(json_object_is_type(root, json_type_object));

        assert_string_equal(json_object_get_string(get(root, "rootfs")), f->rootfs);
        assert_string_equal(json_object_get_string(get(root, "library_dir")), LIBDIR);
        assert_null(get(root, "library32_dir"));
        assert_string_equal(json_object_get_string(get(root, "driver_version")), DRV);

        a = get(root, "masks");
        assert_true(json_object_is_type(a, json_type_array));
        assert_int_equal(json_object_array_length(a), 2);
        o = json_object_array_get_idx(a, 0);
        assert_string_equal(json_object_get_string(get(o, "target")), PROCDIR);
        assert_string_equal(json_object_get_string(get(o, "mode")), "0555");
        assert_true(json_array_has_string(get(o, "files"), "params"));
        o = json_object_array_get_idx(a, 1);
        assert_string_equal(json_object_get_string(get(o, "target")), APPDIR);
        assert_true(json_array_has_string(get(o, "files"), "10-container.conf"));

        /* devices: exactly the device mounts, with their numbers. */
        a = get(root, "devices");
        assert_true(json_object_is_type(a, json_type_array));
        assert_int_equal(json_object_array_length(a), count_type(p, PLAN_MOUNT_DEVICE));
        found = false;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                o = json_object_array_get_idx(a, i);
                assert_string_equal(json_object_get_string(get(o, "type")), "device");
                if (strcmp(json_object_get_string(get(o, "target")), "/dev/nvidia4") == 0) {
                        assert_string_equal(json_object_get_string(get(o, "source")),
                                            host(s, "/dev/nvidia4"));
                        assert_int_equal(json_object_get_int64(get(o, "major")), 195);
                        assert_int_equal(json_object_get_int64(get(o, "minor")), 4);
                        found = true;
                }
        }
        assert_true(found);

        /* mounts: everything else. */
        a = get(root, "mounts");
        assert_int_equal(json_object_array_length(a),
                         p->nmounts - count_type(p, PLAN_MOUNT_DEVICE));
        found = false;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                o = json_object_array_get_idx(a, i);
                if (strcmp(json_object_get_string(get(o, "target")),
                           LIBDIR "/libcuda.so." DRV) == 0) {
                        assert_string_equal(json_object_get_string(get(o, "type")),
                                            "driver-file");
                        assert_string_equal(json_object_get_string(get(o, "options")),
                                            "ro,nosuid,nodev");
                        assert_string_equal(json_object_get_string(get(o, "source")),
                                            host(s, LIBDIR "/libcuda.so." DRV));
                        found = true;
                }
                if (strcmp(json_object_get_string(get(o, "target")), "/tmp/nvidia-mps") == 0)
                        assert_true(json_object_get_boolean(get(o, "directory")));
        }
        assert_true(found);

        a = get(root, "symlinks");
        assert_int_equal(json_object_array_length(a), p->nsymlinks);
        found = false;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                o = json_object_array_get_idx(a, i);
                if (strcmp(json_object_get_string(get(o, "path")), LIBDIR "/libcuda.so") == 0) {
                        assert_string_equal(json_object_get_string(get(o, "target")),
                                            "libcuda.so.1");
                        found = true;
                }
        }
        assert_true(found);

        a = get(root, "cgroup_rules");
        assert_int_equal(json_object_array_length(a), p->nrules);
        assert_true(json_array_has_string(a, "c 195:255 rw"));
        assert_true(json_array_has_string(a, "c 195:4 rw"));
        assert_true(json_array_has_string(a, "c 195:0 rw"));
        assert_true(json_array_has_string(a, "c 238:0 rw"));
        assert_false(json_array_has_string(a, "c 195:6 rw"));

        ld = get(root, "ldconfig");
        assert_true(json_object_is_type(ld, json_type_object));
        assert_string_equal(json_object_get_string(get(ld, "path")), host_ldconfig());
        a = get(ld, "directories");
        assert_int_equal(json_object_array_length(a), 1);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), LIBDIR);
        json_object_put(root);

        /* Without ldconfig: null; with compat32: the 32-bit directory. */
        req.flags = NVCR_REQ_NO_LDCONFIG;
        req.caps |= NVCR_CAP_COMPAT32;
        p = plan_ok(f, s, "0", &req);
        assert_int_equal(nvcr_plan_to_json(p, &text, &err), 0);
        root = json_tokener_parse(text);
        free(text);
        assert_non_null(root);
        assert_null(get(root, "ldconfig"));
        assert_string_equal(json_object_get_string(get(root, "library32_dir")), LIB32DIR);
        json_object_put(root);
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_caps_utility),
                T(test_caps_compute),
                T(test_caps_video),
                T(test_caps_video_gets_uvm),
                T(test_caps_graphics_display),
                T(test_caps_ngx),
                T(test_caps_flattened_from_local_nvidia),
                T(test_caps_compat32),
                T(test_libdir_non_debian),
                T(test_devices_selected),
                T(test_devices_none),
                T(test_devices_no_devbind_no_cgroups),
                T(test_procfs_mask),
                T(test_mig_device),
                T(test_mig_config_monitor),
                T(test_mig_config_errors),
                T(test_imex),
                T(test_imex_empty_value),
                T(test_flags),
                T(test_symlinks),
                T(test_compat_modes),
                T(test_compat_filtered),
                T(test_ldconfig),
                T(test_invalid_rootfs),
                T(test_rootfs_other_spellings_of_slash),
                T(test_rootfs_owner),
                T(test_rootfs_links_stay_inside),
                T(test_rootfs_compat_links_stay_inside),
                T(test_rootfs_untouched),
                T(test_json),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
