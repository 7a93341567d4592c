/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NVML helper process. The parent forks; the child closes every other fd,
 * chroots into the driver root, drops to an unprivileged uid/gid (65534 by
 * default, like the reference's --user), sets no_new_privs, dlopens NVML,
 * queries it and writes one JSON document to a pipe. The parent waits at most
 * NVML_TIMEOUT_MS for it and kills it after that.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/macro.h"
#include "driver/nvml-api.h"
#include "driver/nvml.h"

#define NVML_TIMEOUT_MS 10000
#define NVML_MAX_OUTPUT (1u << 20)
#define NOBODY 65534u

struct nvml_fns {
        nvmlInit_v2_fn init;
        nvmlShutdown_fn shutdown;
        nvmlErrorString_fn error_string;
        nvmlSystemGetDriverVersion_fn driver_version;
        nvmlSystemGetCudaDriverVersion_fn cuda_version;
        nvmlDeviceGetCount_v2_fn count;
        nvmlDeviceGetHandleByIndex_v2_fn by_index;
        nvmlDeviceGetUUID_fn uuid;
        nvmlDeviceGetName_fn name;
        nvmlDeviceGetMinorNumber_fn minor;
        nvmlDeviceGetBrand_fn brand;
        nvmlDeviceGetCudaComputeCapability_fn cc;
        nvmlDeviceGetMigMode_fn mig_mode;
        nvmlDeviceGetMaxMigDeviceCount_fn mig_count;
        nvmlDeviceGetMigDeviceHandleByIndex_fn mig_by_index;
        nvmlDeviceGetGpuInstanceId_fn gi_id;
        nvmlDeviceGetComputeInstanceId_fn ci_id;
};

static const char *const brand_names[] = {
        [NVML_BRAND_UNKNOWN] = "Unknown",
        [NVML_BRAND_QUADRO] = "Quadro",
        [NVML_BRAND_TESLA] = "Tesla",
        [NVML_BRAND_NVS] = "NVS",
        [NVML_BRAND_GRID] = "GRID",
        [NVML_BRAND_GEFORCE] = "GeForce",
        [NVML_BRAND_TITAN] = "TITAN",
        [NVML_BRAND_NVIDIA_VAPPS] = "VApps",
        [NVML_BRAND_NVIDIA_VPC] = "VPC",
        [NVML_BRAND_NVIDIA_VCS] = "VCS",
        [NVML_BRAND_NVIDIA_VWS] = "VWS",
        [NVML_BRAND_NVIDIA_CLOUD_GAMING] = "CloudGaming",
        [NVML_BRAND_QUADRO_RTX] = "QuadroRTX",
        [NVML_BRAND_NVIDIA_RTX] = "NvidiaRTX",
        [NVML_BRAND_NVIDIA] = "Nvidia",
        [NVML_BRAND_GEFORCE_RTX] = "GeForceRTX",
        [NVML_BRAND_TITAN_RTX] = "TitanRTX",
};

const char *nvml_brand_name(int brand)
{
        if (brand < 0 || (size_t)brand >= ARRAY_SIZE(brand_names) || !brand_names[brand])
                return "Unknown";
        return brand_names[brand];
}

/* ------------------------------------------------------------ in the child */

#define LOAD(h, f, field, sym)                                                                     \
        do {                                                                                       \
                *(void **)(&(f)->field) = dlsym(h, sym);                                           \
        } while (0)

static int load_fns(void *h, struct nvml_fns *f)
{
        LOAD(h, f, init, "nvmlInit_v2");
        LOAD(h, f, shutdown, "nvmlShutdown");
        LOAD(h, f, error_string, "nvmlErrorString");
        LOAD(h, f, driver_version, "nvmlSystemGetDriverVersion");
        LOAD(h, f, cuda_version, "nvmlSystemGetCudaDriverVersion");
        LOAD(h, f, count, "nvmlDeviceGetCount_v2");
        LOAD(h, f, by_index, "nvmlDeviceGetHandleByIndex_v2");
        LOAD(h, f, uuid, "nvmlDeviceGetUUID");
        LOAD(h, f, name, "nvmlDeviceGetName");
        LOAD(h, f, minor, "nvmlDeviceGetMinorNumber");
        LOAD(h, f, brand, "nvmlDeviceGetBrand");
        LOAD(h, f, cc, "nvmlDeviceGetCudaComputeCapability");
        LOAD(h, f, mig_mode, "nvmlDeviceGetMigMode");
        LOAD(h, f, mig_count, "nvmlDeviceGetMaxMigDeviceCount");
        LOAD(h, f, mig_by_index, "nvmlDeviceGetMigDeviceHandleByIndex");
        LOAD(h, f, gi_id, "nvmlDeviceGetGpuInstanceId");
        LOAD(h, f, ci_id, "nvmlDeviceGetComputeInstanceId");
        /* These are the ones we cannot do without; the rest are optional answers. */
        return f->init && f->shutdown && f->count && f->by_index && f->uuid ? 0 : -1;
}

static void add_str(json_object *o, const char *k, const char *v)
{
        json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *query_migs(const struct nvml_fns *f, nvmlDevice_t dev)
{
        json_object *arr = json_object_new_array();
        unsigned max = 0;

        if (!f->mig_count || !f->mig_by_index || f->mig_count(dev, &max) != NVML_SUCCESS)
                return arr;
        for (unsigned i = 0; i < max && i < 64; i++) {
                nvmlDevice_t mig;
                unsigned gi = 0, ci = 0;
                char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
                json_object *m;

                if (f->mig_by_index(dev, i, &mig) != NVML_SUCCESS)
                        continue;
                if (f->uuid(mig, uuid, sizeof(uuid)) != NVML_SUCCESS || !f->gi_id || !f->ci_id ||
                    f->gi_id(mig, &gi) != NVML_SUCCESS || f->ci_id(mig, &ci) != NVML_SUCCESS)
                        continue;
                m = json_object_new_object();
                json_object_object_add(m, "gi", json_object_new_int64(gi));
                json_object_object_add(m, "ci", json_object_new_int64(ci));
                add_str(m, "uuid", uuid);
                json_object_array_add(arr, m);
        }
        return arr;
}

static json_object *query_gpu(const struct nvml_fns *f, nvmlDevice_t dev)
{
        json_object *g = json_object_new_object();
        char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
        unsigned minor, cur = 0, pend = 0;
        int brand, maj, min;

        if (f->uuid(dev, buf, sizeof(buf)) == NVML_SUCCESS)
                add_str(g, "uuid", buf);
        if (f->name && f->name(dev, buf, sizeof(buf)) == NVML_SUCCESS)
                add_str(g, "name", buf);
        if (f->minor && f->minor(dev, &minor) == NVML_SUCCESS)
                json_object_object_add(g, "minor", json_object_new_int64(minor));
        if (f->brand && f->brand(dev, &brand) == NVML_SUCCESS)
                add_str(g, "brand", nvml_brand_name(brand));
        if (f->cc && f->cc(dev, &maj, &min) == NVML_SUCCESS) {
                (void)snprintf(buf, sizeof(buf), "%d.%d", maj, min);
                add_str(g, "arch", buf);
        }
        if (f->mig_mode && f->mig_mode(dev, &cur, &pend) == NVML_SUCCESS)
                json_object_object_add(g, "mig_mode", json_object_new_int64(cur));
        if (cur == 1)
                json_object_object_add(g, "migs", query_migs(f, dev));
        return g;
}

static json_object *query_all(const struct nvml_fns *f)
{
        json_object *o = json_object_new_object(), *gpus = json_object_new_array();
        char buf[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
        unsigned n = 0;
        int cuda;

        if (f->driver_version && f->driver_version(buf, sizeof(buf)) == NVML_SUCCESS)
                add_str(o, "driver", buf);
        if (f->cuda_version && f->cuda_version(&cuda) == NVML_SUCCESS) {
                /* 13000 -> "13.0", 12020 -> "12.2" (the reference's formatting). */
                (void)snprintf(buf, sizeof(buf), "%d.%d", cuda / 1000, (cuda % 100) / 10);
                add_str(o, "cuda", buf);
        }
        if (f->count(&n) == NVML_SUCCESS) {
                for (unsigned i = 0; i < n && i < 1024; i++) {
                        nvmlDevice_t dev;

                        if (f->by_index(i, &dev) == NVML_SUCCESS)
                                json_object_array_add(gpus, query_gpu(f, dev));
                }
        }
        json_object_object_add(o, "gpus", gpus);
        return o;
}

static _Noreturn void child_fail(int fd, const char *fmt, const char *arg)
        __attribute__((format(printf, 2, 0)));

static _Noreturn void child_fail(int fd, const char *fmt, const char *arg)
{
        char msg[512];
        json_object *o = json_object_new_object();
        const char *s;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        /* Every caller passes a literal with at most one %s. */
        (void)snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
#pragma GCC diagnostic pop
        add_str(o, "error", msg);
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        (void)!write(fd, s, strlen(s));
        _exit(1);
}

static int parse_user(const char *spec, uid_t *uid, gid_t *gid)
{
        unsigned long u, g;
        char *end;

        if (spec == NULL || spec[0] == '\0')
                return -1;
        u = strtoul(spec, &end, 10);
        if (end == spec || (*end != '\0' && *end != ':'))
                return -1;
        g = u;
        if (*end == ':') {
                g = strtoul(end + 1, &end, 10);
                if (*end != '\0')
                        return -1;
        }
        *uid = (uid_t)u;
        *gid = (gid_t)g;
        return 0;
}

/*
 * Order matters: libraries NVML needs from the host are loaded before the
 * chroot (as the reference does), privileges are dropped after it.
 */
static void drop_privileges(int fd, const char *root, const char *user)
{
        uid_t uid = NOBODY;
        gid_t gid = NOBODY;

        if (geteuid() != 0) {
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        child_fail(fd, "no_new_privs failed", NULL);
                return;
        }
        if (user && user[0] != '\0' && parse_user(user, &uid, &gid) < 0)
                child_fail(fd, "invalid user %s", user);
        if (strcmp(root, "/") != 0 && (chroot(root) < 0 || chdir("/") < 0))
                child_fail(fd, "chroot to %s failed", root);
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
            setresuid(uid, uid, uid) < 0)
                child_fail(fd, "dropping privileges to %s failed", user);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(fd, "no_new_privs failed", NULL);
}

/* The driver library must not write into our stdout (it is the CLI's output). */
static void quiet_stdio(void)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null < 0)
                return;
        (void)dup2(null, STDIN_FILENO);
        (void)dup2(null, STDOUT_FILENO);
        if (null > STDERR_FILENO)
                (void)close(null);
}

static _Noreturn void child_main(int fd, const char *root, const char *user, const char *lib)
{
        struct nvml_fns f = {0};
        json_object *o;
        const char *s;
        void *h;
        nvmlReturn_t r;
        char libpath[4096];

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        (void)prctl(PR_SET_NAME, "nvcr:[nvml]", 0, 0, 0);
        /* Nothing of the caller's but the pipe reaches the driver library. */
        (void)syscall(SYS_close_range, 3, fd - 1, 0);
        (void)syscall(SYS_close_range, fd + 1, ~0U, 0);
        quiet_stdio();
        (void)dlopen("libm.so.6", RTLD_NOW | RTLD_GLOBAL);
        /* Non-root cannot chroot: reach the driver root's library by its host path. */
        (void)snprintf(libpath, sizeof(libpath), "%s%s",
                       geteuid() != 0 && strcmp(root, "/") != 0 && lib ? root : "",
                       lib ? lib : "libnvidia-ml.so.1");
        drop_privileges(fd, root, user);
        h = dlopen(libpath, RTLD_NOW | RTLD_LOCAL);
        if (h == NULL)
                child_fail(fd, "%s", dlerror());
        if (load_fns(h, &f) < 0)
                child_fail(fd, "%s: missing NVML symbols", libpath);
        r = f.init();
        if (r != NVML_SUCCESS)
                child_fail(fd, "nvmlInit_v2 failed: %s",
                           f.error_string ? f.error_string(r) : "unknown error");
        o = query_all(&f);
        (void)f.shutdown();
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        (void)!write(fd, s, strlen(s));
        _exit(0);
}

/* ------------------------------------------------------------ in the parent */

static long ms_since(const struct timespec *t0)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int read_child(int fd, char **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *buf = malloc(NVML_MAX_OUTPUT + 1);
        struct timespec t0;
        size_t len = 0;

        if (buf == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                long left = NVML_TIMEOUT_MS - ms_since(&t0);
                ssize_t n;

                if (left <= 0 || poll(&p, 1, (int)left) == 0)
                        return nvcr_err_set(err, ETIMEDOUT, "NVML helper timed out");
                n = read(fd, buf + len, NVML_MAX_OUTPUT - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return nvcr_err_setsys(err, errno, "reading from the NVML helper");
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == NVML_MAX_OUTPUT)
                        return nvcr_err_set(err, EFBIG, "NVML helper output too large");
        }
        buf[len] = '\0';
        *ret = steal_ptr(&buf);
        return 0;
}

static int check_answer(const char *text, struct nvcr_err *err)
{
        json_object *o = json_tokener_parse(text), *e;
        int r = 0;

        if (o == NULL || !json_object_is_type(o, json_type_object))
                r = nvcr_err_set(err, EPROTO, "NVML helper answered garbage");
        else if (json_object_object_get_ex(o, "error", &e))
                r = nvcr_err_set(err, EIO, "%s", json_object_get_string(e));
        json_object_put(o);
        return r;
}

int nvml_query(struct nvcr_ctx *ctx, const char *lib, char **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *out = NULL;
        _cleanup_close_ int rfd = -EBADF;
        int fds[2], status = 0, r;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return nvcr_err_setsys(err, errno, "pipe");
        pid = fork();
        if (pid < 0) {
                r = nvcr_err_setsys(err, errno, "fork");
                (void)close(fds[0]);
                (void)close(fds[1]);
                return r;
        }
        if (pid == 0) {
                (void)close(fds[0]);
                child_main(fds[1], nvcr_ctx_get(ctx, NVCR_SET_ROOT),
                           nvcr_ctx_get(ctx, NVCR_SET_NVML_USER), lib);
        }
        (void)close(fds[1]);
        rfd = fds[0];
        r = read_child(rfd, &out, err);
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        r = check_answer(out, err);
        if (r < 0)
                return r;
        *ret = steal_ptr(&out);
        return 0;
}
