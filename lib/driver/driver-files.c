/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/strv.h"
#include "core/timing.h"
#include "driver/driver-files.h"
#include "driver/elf.h"
#include "driver/files-cache.h"
#include "safepath/in-root.h"

#define C_LIB (NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO) /* video implies the compute libraries */
#define G_LIB (NVCR_CAP_GRAPHICS | NVCR_CAP_DISPLAY) /* display implies the graphics set */

/* Libraries per capability, matched by soname prefix (features.md §2.1). */
static const struct lib_spec {
        const char *prefix;
        unsigned caps;
        bool optional_vendor; /* also shipped by others (GLVND): skip silently on mismatch */
} lib_specs[] = {
        {"libnvidia-ml.so", NVCR_CAP_UTILITY, false},
        {"libnvidia-cfg.so", NVCR_CAP_UTILITY, false},
        {"libnvidia-nscq.so", NVCR_CAP_UTILITY, false},
        {"libcuda.so", C_LIB, false},
        {"libcudadebugger.so", C_LIB, false},
        {"libnvidia-opencl.so", C_LIB, false},
        {"libnvidia-gpucomp.so", C_LIB, false},
        {"libnvidia-ptxjitcompiler.so", C_LIB, false},
        {"libnvidia-fatbinaryloader.so", C_LIB, false},
        {"libnvidia-allocator.so", C_LIB, false},
        {"libnvidia-compiler.so", C_LIB, false},
        {"libnvidia-pkcs11.so", C_LIB, false},
        {"libnvidia-pkcs11-openssl3.so", C_LIB, false},
        {"libnvidia-nvvm.so", C_LIB, false},
        {"libnvidia-tileiras.so", C_LIB, false},
        {"libvdpau_nvidia.so", NVCR_CAP_VIDEO, false},
        {"libnvidia-encode.so", NVCR_CAP_VIDEO, false},
        {"libnvidia-opticalflow.so", NVCR_CAP_VIDEO, false},
        {"libnvcuvid.so", NVCR_CAP_VIDEO, false},
        {"libnvidia-eglcore.so", G_LIB, false},
        {"libnvidia-glcore.so", G_LIB, false},
        {"libnvidia-tls.so", G_LIB, false},
        {"libnvidia-glsi.so", G_LIB, false},
        {"libnvidia-fbc.so", G_LIB, false},
        {"libnvidia-ifr.so", G_LIB, false},
        {"libnvidia-rtcore.so", G_LIB, false},
        {"libnvoptix.so", G_LIB, false},
        {"libGLX_nvidia.so", G_LIB, false},
        {"libEGL_nvidia.so", G_LIB, false},
        {"libGLESv2_nvidia.so", G_LIB, false},
        {"libGLESv1_CM_nvidia.so", G_LIB, false},
        {"libnvidia-glvkspirv.so", G_LIB, false},
        {"libnvidia-cbl.so", G_LIB, false},
        /*
         * Non-GLVND drivers ship their own libGL & co. named with the driver
         * version; the GLVND ones (libGL.so.1.7.0) are not the driver's, so a
         * version mismatch here is expected and silent.
         */
        {"libGL.so", G_LIB, true},
        {"libEGL.so", G_LIB, true},
        {"libGLESv1_CM.so", G_LIB, true},
        {"libGLESv2.so", G_LIB, true},
        {"libnvidia-ngx.so", NVCR_CAP_NGX, false},
};

static const struct {
        const char *name;
        unsigned caps;
} bin_specs[] = {
        {"nvidia-smi", NVCR_CAP_UTILITY},
        {"nvidia-debugdump", NVCR_CAP_UTILITY},
        {"nvidia-persistenced", NVCR_CAP_UTILITY},
        {"nv-fabricmanager", NVCR_CAP_UTILITY},
        {"nvidia-cuda-mps-control", NVCR_CAP_COMPUTE},
        {"nvidia-cuda-mps-server", NVCR_CAP_COMPUTE},
};

/* Where libraries live when the cache does not list them (Debian, RPM, NVIDIA images). */
static const char *const native_dirs[] = {
#if defined(__x86_64__)
        "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/nvidia/current",
        "/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
        "/usr/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu/nvidia/current",
        "/lib/aarch64-linux-gnu",
#endif
        "/usr/lib64", "/lib64", "/usr/local/nvidia/lib64", "/usr/lib",
};

static const char *const compat32_dirs[] = {
#if defined(__x86_64__)
        "/usr/lib/i386-linux-gnu", "/lib/i386-linux-gnu",
#elif defined(__aarch64__)
        "/usr/lib/arm-linux-gnueabihf", "/lib/arm-linux-gnueabihf",
#endif
        "/usr/lib32", "/lib32", "/usr/local/nvidia/lib", "/usr/local/nvidia/lib32", "/usr/lib",
};

static const char *const bin_dirs[] = {
        "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin",
};

/* A warning of the search: logged, and kept with a cached answer to be logged again. */
static void search_warn(struct driver_search *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void search_warn(struct driver_search *s, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return;
        log_warn(s->ctx, "%s", msg);
        (void)strv_push(&s->warnings, msg);
}

static int elf_class_wanted(enum ldcache_class cls)
{
        return cls == LDCACHE_COMPAT32 ? 32 : 64;
}

/* True when the file name ends in ".<version>" (libcuda.so.580.159.04). */
static bool has_version_suffix(const char *path, const char *version)
{
        size_t lp = strlen(path), lv = strlen(version);

        return lp > lv + 1 && path[lp - lv - 1] == '.' && strcmp(path + lp - lv, version) == 0;
}

static int add_file(struct nvcr_inventory *inv, const char *path, char *soname, unsigned caps,
                    enum nvcr_file_kind kind, struct nvcr_err *err)
{
        struct nvcr_driver_file *n;

        for (size_t i = 0; i < inv->nfiles; i++) {
                if (inv->files[i].kind == kind && strcmp(inv->files[i].path, path) == 0) {
                        inv->files[i].caps |= caps;
                        free(soname);
                        return 0;
                }
        }
        n = realloc(inv->files, (inv->nfiles + 1) * sizeof(*n));
        if (n == NULL) {
                free(soname);
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        inv->files = n;
        n[inv->nfiles] = (struct nvcr_driver_file){
                .path = strdup(path), .soname = soname, .caps = caps, .kind = kind};
        if (n[inv->nfiles].path == NULL) {
                free(soname);
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        inv->nfiles++;
        return 0;
}

/* Reads the soname and checks the ELF class; a wrong class is -ENOEXEC. */
static int read_library(struct driver_search *s, const char *path, enum ldcache_class cls,
                        char **ret_soname, struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        struct elf_info info = {0};
        int r;

        fd = in_root_open(s->rootfd, path, O_RDONLY, err);
        if (fd < 0)
                return fd;
        r = elf_read_fd(fd, &info, err);
        if (r < 0)
                return nvcr_err_wrap(err, "%s", path);
        if (info.elf_class != elf_class_wanted(cls)) {
                elf_info_clear(&info);
                return nvcr_err_set(err, ENOEXEC, "%s: not a %d-bit library", path,
                                    elf_class_wanted(cls));
        }
        *ret_soname = steal_ptr(&info.soname);
        elf_info_clear(&info);
        return 0;
}

static int remember_libdir(struct driver_search *s, const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        char **n, *dir;

        if (copy == NULL)
                return -ENOMEM;
        dir = dirname(copy);
        for (size_t i = 0; i < s->nlibdirs; i++)
                if (strcmp(s->libdirs[i], dir) == 0)
                        return 0;
        n = realloc(s->libdirs, (s->nlibdirs + 1) * sizeof(*n));
        if (n == NULL)
                return -ENOMEM;
        s->libdirs = n;
        n[s->nlibdirs] = strdup(dir);
        if (n[s->nlibdirs] == NULL)
                return -ENOMEM;
        s->nlibdirs++;
        return 0;
}

/*
 * Through the ld.so.cache: the first entry with the prefix whose resolved
 * file carries the driver version. Entries resolving to another version are
 * reported once (a half-upgraded driver) unless the library is not only
 * NVIDIA's (GLVND).
 */
static int find_in_cache(struct driver_search *s, const struct lib_spec *spec,
                         enum ldcache_class cls, char **ret, struct nvcr_err *err)
{
        const struct ldcache_entry *e;
        _cleanup_free_ char *mismatch = NULL;
        size_t pos = 0;

        if (s->cache == NULL)
                return -ENOENT;
        while ((e = ldcache_next(s->cache, spec->prefix, cls, &pos)) != NULL) {
                char *resolved = NULL;
                struct nvcr_err e2 = {0};

                /* The entry's link and the file it leads to: replacing either shows there. */
                if (files_cache_watch_parent(s, e->path) < 0)
                        return -ENOMEM;
                if (in_root_resolve(s->rootfd, s->root, e->path, &resolved, &e2) < 0) {
                        log_debug(s->ctx, "ldcache entry %s -> %s: %s", e->name, e->path,
                                  e2.msg);
                        continue;
                }
                if (files_cache_watch_parent(s, resolved) < 0) {
                        free(resolved);
                        return -ENOMEM;
                }
                if (has_version_suffix(resolved, s->version)) {
                        *ret = resolved;
                        return 0;
                }
                if (mismatch == NULL)
                        mismatch = resolved;
                else
                        free(resolved);
        }
        if (mismatch != NULL && !spec->optional_vendor)
                search_warn(s, "%s: version does not match the kernel module's %s, skipped",
                         mismatch, s->version);
        (void)err;
        return -ENOENT;
}

/* True when the file is an ELF object of the class `cls` wants. */
static bool is_elf_class(struct driver_search *s, const char *path, enum ldcache_class cls)
{
        _cleanup_close_ int fd = in_root_open(s->rootfd, path, O_RDONLY, NULL);
        struct elf_info info = {0};
        bool ok;

        if (fd < 0 || elf_read_fd(fd, &info, NULL) < 0)
                return false;
        ok = info.elf_class == elf_class_wanted(cls);
        elf_info_clear(&info);
        return ok;
}

/*
 * In a directory: <dir>/<prefix>.<version>, or <dir>/vdpau/… for VDPAU. Only
 * a file of the wanted class counts: directories like /usr/local/nvidia/lib
 * are often links to the 64-bit one.
 */
static int find_in_dir(struct driver_search *s, const char *dir, const char *prefix,
                       enum ldcache_class cls, char **ret)
{
        static const char *const subdirs[] = {"", "/vdpau"};

        for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
                _cleanup_free_ char *cand = NULL;
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                if (asprintf(&cand, "%s%s/%s.%s", dir, subdirs[i], prefix, s->version) < 0 ||
                    files_cache_watch_parent(s, cand) < 0)
                        return -ENOMEM;
                fd = in_root_open(s->rootfd, cand, O_PATH, NULL);
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
                    !is_elf_class(s, cand, cls))
                        continue;
                return in_root_resolve(s->rootfd, s->root, cand, ret, NULL);
        }
        return -ENOENT;
}

static int find_in_dirs(struct driver_search *s, const struct lib_spec *spec,
                        enum ldcache_class cls, char **ret)
{
        const char *const *dirs = cls == LDCACHE_COMPAT32 ? compat32_dirs : native_dirs;
        size_t n = cls == LDCACHE_COMPAT32 ? ARRAY_SIZE(compat32_dirs) : ARRAY_SIZE(native_dirs);

        for (size_t i = 0; i < n; i++)
                if (find_in_dir(s, dirs[i], spec->prefix, cls, ret) == 0)
                        return 0;
        for (size_t i = 0; i < s->ctx->nlib_search_paths; i++)
                if (find_in_dir(s, s->ctx->lib_search_paths[i], spec->prefix, cls, ret) == 0)
                        return 0;
        return -ENOENT;
}

static const struct lib_spec *spec_by_prefix(const char *prefix)
{
        for (size_t i = 0; i < ARRAY_SIZE(lib_specs); i++)
                if (strcmp(lib_specs[i].prefix, prefix) == 0)
                        return &lib_specs[i];
        return NULL;
}

static int find_library(struct driver_search *s, const struct lib_spec *spec,
                        enum ldcache_class cls, char **ret, struct nvcr_err *err)
{
        int r = find_in_cache(s, spec, cls, ret, err);

        if (r == -ENOENT)
                r = find_in_dirs(s, spec, cls, ret);
        return r;
}

int driver_find_library(struct driver_search *s, const char *prefix, enum ldcache_class cls,
                        char **ret, struct nvcr_err *err)
{
        const struct lib_spec *spec = spec_by_prefix(prefix);
        struct lib_spec adhoc = {.prefix = prefix, .caps = 0, .optional_vendor = false};
        int r = driver_search_read_ldcache(s, err);

        return r < 0 ? r : find_library(s, spec ? spec : &adhoc, cls, ret, err);
}

static int find_libraries(struct driver_search *s, struct nvcr_inventory *inv,
                          enum ldcache_class cls, struct nvcr_err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(lib_specs); i++) {
                _cleanup_free_ char *path = NULL;
                char *soname = NULL;
                struct nvcr_err e2 = {0};
                int r;

                /*
                 * Only what the caller wants (a container start asks for a few
                 * capabilities); the utility libraries always, as they locate
                 * the driver's directory for binaries and firmware.
                 */
                if (!(lib_specs[i].caps & (s->caps | NVCR_CAP_UTILITY)))
                        continue;
                r = find_library(s, &lib_specs[i], cls, &path, err);
                if (r == -ENOMEM)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                if (r < 0) {
                        log_debug(s->ctx, "missing %slibrary %s", cls ? "32-bit " : "",
                                  lib_specs[i].prefix);
                        continue;
                }
                if (read_library(s, path, cls, &soname, &e2) < 0) {
                        search_warn(s, "%s skipped: %s", path, e2.msg);
                        continue;
                }
                r = add_file(inv, path, soname,
                             lib_specs[i].caps | (cls ? NVCR_CAP_COMPAT32 : 0),
                             cls ? NVCR_FILE_LIB32 : NVCR_FILE_LIB, err);
                if (r < 0)
                        return r;
                if (cls == LDCACHE_NATIVE && remember_libdir(s, path) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

static bool is_executable_file(struct driver_search *s, const char *path)
{
        _cleanup_close_ int fd = in_root_open(s->rootfd, path, O_PATH, NULL);
        struct stat st;

        return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* Beside the driver's libraries first (<libdir>/../bin), then the usual PATH. */
static int find_binary(struct driver_search *s, const char *name, char **ret)
{
        for (size_t i = 0; i < s->nlibdirs + ARRAY_SIZE(bin_dirs); i++) {
                _cleanup_free_ char *cand = NULL;
                int r = i < s->nlibdirs ? asprintf(&cand, "%s/../bin/%s", s->libdirs[i], name)
                                        : asprintf(&cand, "%s/%s", bin_dirs[i - s->nlibdirs],
                                                   name);

                if (r < 0 || files_cache_watch_parent(s, cand) < 0)
                        return -ENOMEM;
                if (is_executable_file(s, cand))
                        return in_root_resolve(s->rootfd, s->root, cand, ret, NULL);
        }
        return -ENOENT;
}

static int find_binaries(struct driver_search *s, struct nvcr_inventory *inv,
                         struct nvcr_err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(bin_specs); i++) {
                _cleanup_free_ char *path = NULL;
                int r;

                if (!(bin_specs[i].caps & s->caps))
                        continue;
                r = find_binary(s, bin_specs[i].name, &path);
                if (r == -ENOMEM)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                if (r < 0) {
                        log_debug(s->ctx, "missing binary %s", bin_specs[i].name);
                        continue;
                }
                r = add_file(inv, path, NULL, bin_specs[i].caps, NVCR_FILE_BIN, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_ipc_if(struct driver_search *s, struct nvcr_inventory *inv, const char *path,
                      bool want_dir, unsigned caps, struct nvcr_err *err)
{
        _cleanup_close_ int fd = in_root_open(s->rootfd, path, O_PATH, NULL);
        _cleanup_free_ char *resolved = NULL;
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return 0;
        if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISSOCK(st.st_mode))
                return 0;
        if (in_root_resolve(s->rootfd, s->root, path, &resolved, NULL) < 0)
                return 0;
        return add_file(inv, resolved, NULL, caps, NVCR_FILE_IPC, err);
}

static int find_ipcs(struct driver_search *s, struct nvcr_inventory *inv, struct nvcr_err *err)
{
        const char *mps = secure_getenv("CUDA_MPS_PIPE_DIRECTORY");
        int r;

        /* /var/run is a link to /run on most hosts: resolving dedups them. */
        r = add_ipc_if(s, inv, "/var/run/nvidia-persistenced/socket", false, NVCR_CAP_UTILITY,
                       err);
        if (r == 0)
                r = add_ipc_if(s, inv, "/run/nvidia-persistenced/socket", false,
                               NVCR_CAP_UTILITY, err);
        if (r == 0)
                r = add_ipc_if(s, inv, "/var/run/nvidia-fabricmanager/socket", false,
                               NVCR_CAP_UTILITY, err);
        if (r == 0)
                r = add_ipc_if(s, inv, "/run/nvidia-fabricmanager/socket", false,
                               NVCR_CAP_UTILITY, err);
        if (r == 0)
                r = add_ipc_if(s, inv, mps && mps[0] == '/' ? mps : "/tmp/nvidia-mps", true,
                               NVCR_CAP_COMPUTE, err);
        return r;
}

static int firmware_in_dir(struct driver_search *s, struct nvcr_inventory *inv, const char *dir,
                           struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        struct dirent **names = NULL;
        int n, r = 0;

        if (files_cache_watch(s, dir) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        fd = in_root_open(s->rootfd, dir, O_RDONLY | O_DIRECTORY, NULL);
        if (fd < 0)
                return 0;
        n = scandirat(fd, ".", &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                const char *nm = names[i]->d_name;
                size_t l = strlen(nm);
                _cleanup_free_ char *path = NULL, *resolved = NULL;

                if (r == 0 && strncmp(nm, "gsp", 3) == 0 && l > 4 &&
                    strcmp(nm + l - 4, ".bin") == 0 && asprintf(&path, "%s/%s", dir, nm) >= 0 &&
                    in_root_resolve(s->rootfd, s->root, path, &resolved, NULL) == 0)
                        r = add_file(inv, resolved, NULL, NVCR_CAP_ALL, NVCR_FILE_FIRMWARE, err);
                free(names[i]);
        }
        free(names);
        return r;
}

char *driver_firmware_path(const struct driver_search *s)
{
        _cleanup_close_ int sysfd = open(nvcr_ctx_get(s->ctx, NVCR_SET_SYS),
                                         O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *text = NULL;
        size_t len;

        if (sysfd < 0 ||
            read_file_at(sysfd, "module/firmware_class/parameters/path", 4096, &text, &len,
                         NULL) < 0)
                return NULL;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
                text[--len] = '\0';
        if (text[0] != '/') {
                free(text);
                return NULL;
        }
        return text;
}

static int find_firmware(struct driver_search *s, struct nvcr_inventory *inv,
                         struct nvcr_err *err)
{
        _cleanup_free_ char *custom = driver_firmware_path(s);
        int r = 0;

        for (size_t i = 0; r == 0 && i < s->nlibdirs + 2; i++) {
                _cleanup_free_ char *dir = NULL;
                int a;

                if (i == 0)
                        a = asprintf(&dir, "/lib/firmware/nvidia/%s", s->version);
                else if (i == 1)
                        a = custom ? asprintf(&dir, "%s/nvidia/%s", custom, s->version) : -2;
                else
                        a = asprintf(&dir, "%s/../firmware/nvidia/%s", s->libdirs[i - 2],
                                     s->version);
                if (a == -2)
                        continue;
                if (a < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                r = firmware_in_dir(s, inv, dir, err);
        }
        return r;
}

/* Libraries, binaries and firmware: what the cache may answer. */
static int search_files(struct driver_search *s, struct nvcr_inventory *inv, struct nvcr_err *err)
{
        int r = driver_search_read_ldcache(s, err);

        if (r == 0)
                r = find_libraries(s, inv, LDCACHE_NATIVE, err);
        if (r == 0 && (s->caps & NVCR_CAP_COMPAT32))
                r = find_libraries(s, inv, LDCACHE_COMPAT32, err);
        if (r == 0)
                r = find_binaries(s, inv, err);
        if (r == 0)
                r = find_firmware(s, inv, err);
        return r;
}

int driver_files_find(struct driver_search *s, struct nvcr_inventory *inv, struct nvcr_err *err)
{
        _cleanup_free_ char *head = files_cache_header(s);
        size_t first = inv->nfiles;
        bool hit = head != NULL && !s->no_cache && files_cache_load(s, head, inv) == 0;
        int r = 0;

        if (!hit) {
                r = search_files(s, inv, err);
                if (r == 0 && head != NULL)
                        files_cache_store(s, head, inv, first);
        }
        timing_mark("inv: files");
        if (r == 0)
                r = find_ipcs(s, inv, err);
        timing_mark("inv: ipcs");
        /*
         * In kind order (libraries, 32-bit ones, binaries, IPC sockets,
         * firmware), the order a search finds them in: a cached answer
         * with the live sockets comes out the same. Each kind keeps its
         * own order.
         */
        if (r == 0) {
                size_t n = inv->nfiles - first;
                struct nvcr_driver_file *v = inv->files + first, *tmp;
                size_t k = 0;

                tmp = n ? malloc(n * sizeof(*tmp)) : NULL;
                if (n && tmp == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                for (int kind = NVCR_FILE_LIB; kind <= NVCR_FILE_FIRMWARE; kind++)
                        for (size_t i = 0; i < n; i++)
                                if ((int)v[i].kind == kind)
                                        tmp[k++] = v[i];
                if (n)
                        memcpy(v, tmp, n * sizeof(*tmp));
                free(tmp);
        }
        return r;
}

static int open_ldcache(struct driver_search *s, struct nvcr_err *err)
{
        const char *path = nvcr_ctx_get(s->ctx, NVCR_SET_LDCACHE);
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = in_root_open(s->rootfd, path, O_RDONLY, err);
        if (fd == -ENOENT) {
                /* Hosts without a cache exist (NCT #71): search directories only. */
                log_debug(s->ctx, "no ld.so.cache at %s in %s", path, s->root);
                return 0;
        }
        if (fd < 0)
                return fd;
        r = ldcache_load_fd(fd, &s->cache, err);
        if (r < 0)
                (void)nvcr_err_wrap(err, "%s", path); /* keeps r's errno when err is NULL */
        return r < 0 ? r : 0;
}

int driver_search_open(struct nvcr_ctx *ctx, const char *version, struct driver_search *s,
                       struct nvcr_err *err)
{
        const char *root = nvcr_ctx_get(ctx, NVCR_SET_ROOT);
        int r;

        *s = (struct driver_search){.ctx = ctx, .rootfd = -EBADF, .version = version,
                                    .caps = NVCR_CAP_ALL};
        s->root = realpath(root, NULL);
        if (s->root == NULL)
                return nvcr_err_setsys(err, errno, "driver root %s", root);
        s->rootfd = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s->rootfd < 0) {
                r = nvcr_err_setsys(err, errno, "open driver root %s", s->root);
                driver_search_close(s);
                return r;
        }
        return 0;
}

int driver_search_read_ldcache(struct driver_search *s, struct nvcr_err *err)
{
        int r;

        if (s->cache_loaded)
                return 0;
        r = open_ldcache(s, err);
        s->cache_loaded = r == 0;
        return r;
}

void driver_search_close(struct driver_search *s)
{
        closep(&s->rootfd);
        s->rootfd = -EBADF;
        free(s->root);
        s->root = NULL;
        ldcache_free(s->cache);
        s->cache = NULL;
        for (size_t i = 0; i < s->nlibdirs; i++)
                free(s->libdirs[i]);
        free(s->libdirs);
        s->libdirs = NULL;
        s->nlibdirs = 0;
        strv_free(s->watched);
        s->watched = NULL;
        strv_free(s->warnings);
        s->warnings = NULL;
        s->nwatched = 0;
        s->cache_loaded = false;
}
