/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live applier (the legacy path): carries a plan out on a running
 * container, as a prestart hook or `nvidia-container-cli configure` does.
 *
 *  1. In the host mount namespace: open every host source and clone it into
 *     a detached mount tree with its final flags; copy the host ldconfig into
 *     a sealed memfd; open the container by pidfd (pid reuse cannot redirect us).
 *  2. Join the container's mount namespace; open its rootfs; lay the tmpfs
 *     masks; attach every tree onto a target resolved and created through the
 *     safe-path layer; make the masks read-only; create the symlinks; run
 *     ldconfig sandboxed.
 *  3. Back in the host namespace: the device cgroup rules.
 * Any failure detaches every mount made so far.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "apply/cgroup.h"
#include "apply/ldconfig.h"
#include "apply/mount-tree.h"
#include "core/ctx.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/testpoint.h"
#include "plan/plan.h"
#include "safepath/in-root-create.h"
#include "safepath/in-root.h"

#define DIR_CACHE_MAX 16

struct dir_cache {
        char *path;
        int fd;
};

struct live {
        struct nvcr_ctx *ctx;
        const struct nvcr_plan *p;
        const char **phase;
        struct nvcr_err *err;
        int pidfd;
        int hostns;
        int rootfd;
        char *rootpath;
        int *trees;        /* per plan mount: prepared detached tree, -1 when none */
        int *mask_trees;   /* per mask: the attached tmpfs, -1 when skipped */
        long *mask_fstype; /* per mask: the f_type the target must have, 0 = any */
        int *attached;     /* every tree attached so far, in order (the undo list) */
        size_t nattached;
        bool proc_masked;
        bool ld_ready; /* ldconfig prepared (a missing host ldconfig only warns) */
        struct ldconfig_exec ld;
        struct dir_cache dirs[DIR_CACHE_MAX];
        size_t ndirs;
};

static void live_clear(struct live *l)
{
        for (size_t i = 0; l->trees && i < l->p->nmounts; i++)
                if (l->trees[i] >= 0)
                        (void)close(l->trees[i]);
        for (size_t i = 0; l->mask_trees && i < l->p->nmasks; i++)
                if (l->mask_trees[i] >= 0)
                        (void)close(l->mask_trees[i]);
        for (size_t i = 0; i < l->ndirs; i++) {
                free(l->dirs[i].path);
                (void)close(l->dirs[i].fd);
        }
        free(l->trees);
        free(l->mask_trees);
        free(l->mask_fstype);
        free(l->attached);
        free(l->rootpath);
        ldconfig_exec_clear(&l->ld);
        if (l->pidfd >= 0)
                (void)close(l->pidfd);
        if (l->hostns >= 0)
                (void)close(l->hostns);
        if (l->rootfd >= 0)
                (void)close(l->rootfd);
}

static void rollback(struct live *l)
{
        while (l->nattached > 0)
                tree_detach(l->attached[--l->nattached]);
}

static unsigned attrs_of(enum plan_mount_type t)
{
        switch (t) {
        case PLAN_MOUNT_DEVICE: return TREE_DEVICE_ATTRS;
        case PLAN_MOUNT_IPC: return TREE_IPC_ATTRS;
        case PLAN_MOUNT_PROC: return TREE_PROC_ATTRS;
        case PLAN_MOUNT_DRIVER_FILE:
        case PLAN_MOUNT_IMAGE_FILE:
        default: return TREE_DRIVER_FILE_ATTRS;
        }
}

/* The source must be what the plan says it is: a driver file is never a dir or a link. */
static int check_source(const struct plan_mount *m, int fd, struct nvcr_err *err)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return nvcr_err_setsys(err, errno, "%s", m->source);
        switch (m->type) {
        case PLAN_MOUNT_DEVICE:
                if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != m->major ||
                    minor(st.st_rdev) != m->minor)
                        return nvcr_err_set(err, EINVAL,
                                            "%s: invalid device node (expected char %u:%u)",
                                            m->source, m->major, m->minor);
                return 0;
        case PLAN_MOUNT_IPC:
                if (!(m->is_dir ? S_ISDIR(st.st_mode) : S_ISSOCK(st.st_mode)))
                        return nvcr_err_set(err, EINVAL, "%s: not a %s", m->source,
                                            m->is_dir ? "directory" : "socket");
                return 0;
        case PLAN_MOUNT_PROC:
                if (S_ISDIR(st.st_mode) != m->is_dir)
                        return nvcr_err_set(err, EINVAL, "%s: unexpected file type", m->source);
                return 0;
        case PLAN_MOUNT_DRIVER_FILE:
        case PLAN_MOUNT_IMAGE_FILE:
        default:
                if (!S_ISREG(st.st_mode))
                        return nvcr_err_set(err, EINVAL, "%s: not a regular file", m->source);
                return 0;
        }
}

/* Step 1 for one mount: a detached tree of the host source. */
static int prepare_mount(struct live *l, size_t i)
{
        const struct plan_mount *m = &l->p->mounts[i];
        _cleanup_close_ int fd = -EBADF;
        int r;

        l->trees[i] = -1;
        if (m->type == PLAN_MOUNT_IMAGE_FILE)
                return 0; /* lives in the container: cloned there */
        /* Host paths are trusted input (the driver's files), resolved on the host. */
        fd = open(m->source, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return nvcr_err_setsys(l->err, errno, "%s", m->source);
        r = check_source(m, fd, l->err);
        if (r < 0)
                return r;
        r = tree_clone(fd, attrs_of(m->type), m->source, l->err);
        if (r < 0)
                return r;
        l->trees[i] = r;
        return 0;
}

static int prepare(struct live *l)
{
        const struct nvcr_plan *p = l->p;
        int r;

        l->trees = calloc(p->nmounts + 1, sizeof(*l->trees));
        l->mask_trees = calloc(p->nmasks + 1, sizeof(*l->mask_trees));
        l->mask_fstype = calloc(p->nmasks + 1, sizeof(*l->mask_fstype));
        l->attached = calloc(p->nmounts + p->nmasks + 1, sizeof(*l->attached));
        if (!l->trees || !l->mask_trees || !l->mask_fstype || !l->attached)
                return nvcr_err_set(l->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < p->nmasks; i++) {
                struct statfs sf;

                l->mask_trees[i] = -1;
                if (p->masks[i].same_fs_as == NULL)
                        continue;
                if (statfs(p->masks[i].same_fs_as, &sf) < 0)
                        return nvcr_err_setsys(l->err, errno, "%s", p->masks[i].same_fs_as);
                l->mask_fstype[i] = (long)sf.f_type;
        }
        for (size_t i = 0; i < p->nmounts; i++)
                l->trees[i] = -1;
        for (size_t i = 0; i < p->nmounts; i++)
                if ((r = prepare_mount(l, i)) < 0)
                        return r;
        if (p->ldconfig != NULL) {
                *l->phase = "ldcache";
                r = ldconfig_prepare(p->ldconfig, (p->flags & NVCR_REQ_ALLOW_CONTAINER_LDCONFIG),
                                     &l->ld, l->err);
                if (r == -ENOENT) {
                        log_warn(l->ctx, "%s; the container's library cache is not updated",
                                 l->err->msg);
                        nvcr_err_clear(l->err);
                } else if (r < 0) {
                        return r;
                } else {
                        l->ld_ready = true;
                }
                *l->phase = "mount";
        }
        return 0;
}

static int join_container(struct live *l)
{
        const struct nvcr_plan *p = l->p;

        if (p->pid <= 0)
                return 0; /* standalone: we already are where the container's mounts are */
        l->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
        if (l->pidfd < 0)
                return nvcr_err_setsys(l->err, errno, "container process %d", (int)p->pid);
        l->hostns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (l->hostns < 0)
                return nvcr_err_setsys(l->err, errno, "/proc/self/ns/mnt");
        if (setns(l->pidfd, CLONE_NEWNS) < 0)
                return nvcr_err_setsys(l->err, errno,
                                       "cannot join the mount namespace of process %d",
                                       (int)p->pid);
        return 0;
}

static int leave_container(struct live *l)
{
        if (l->hostns < 0)
                return 0;
        if (setns(l->hostns, CLONE_NEWNS) < 0)
                return nvcr_err_setsys(l->err, errno, "cannot return to the host mount namespace");
        return 0;
}

/* A directory of the rootfs, created if missing; fds cached per path. */
static int dir_fd(struct live *l, const char *dir)
{
        int fd;

        for (size_t i = 0; i < l->ndirs; i++)
                if (strcmp(l->dirs[i].path, dir) == 0)
                        return l->dirs[i].fd;
        fd = in_root_mkdir_p(l->rootfd, dir, 0755, l->p->uid, l->p->gid, l->err);
        if (fd < 0)
                return fd;
        if (l->ndirs == DIR_CACHE_MAX) {
                free(l->dirs[0].path);
                (void)close(l->dirs[0].fd);
                memmove(&l->dirs[0], &l->dirs[1], sizeof(l->dirs[0]) * (DIR_CACHE_MAX - 1));
                l->ndirs--;
        }
        l->dirs[l->ndirs].path = strdup(dir);
        if (l->dirs[l->ndirs].path == NULL) {
                (void)close(fd);
                return nvcr_err_set(l->err, ENOMEM, "out of memory");
        }
        l->dirs[l->ndirs++].fd = fd;
        return fd;
}

/* Splits "/a/b/c" into "/a/b" (in buf) and "c". */
static const char *split(const char *path, char *buf, size_t size)
{
        const char *s = strrchr(path, '/');
        size_t n = s ? (size_t)(s - path) : 0;

        if (n == 0 || n >= size) {
                (void)snprintf(buf, size, "/");
                return s ? s + 1 : path;
        }
        memcpy(buf, path, n);
        buf[n] = '\0';
        return s + 1;
}

static int attach(struct live *l, int tree, int target, const char *what)
{
        int r;

        /* The target may have been renamed out of the rootfs since we resolved it. */
        test_pause("mount-target");
        r = fd_check_in_root(target, l->rootpath, l->err);
        if (r < 0)
                return r;
        r = tree_attach(tree, target, what, l->err);
        if (r < 0)
                return r;
        l->attached[l->nattached++] = tree;
        return 0;
}

static int write_mask_files(int tree, const struct plan_tmpfs *m, struct nvcr_err *err)
{
        for (size_t i = 0; i < m->nfiles; i++) {
                const struct plan_file *f = &m->files[i];
                _cleanup_close_ int fd = -EBADF;
                ssize_t w;

                /* Our own fresh tmpfs: nothing in it can be a planted link. */
                fd = openat(tree, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            (mode_t)f->mode);
                if (fd < 0)
                        return nvcr_err_setsys(err, errno, "%s/%s", m->target, f->name);
                w = write(fd, f->content, f->len);
                if (w < 0 || (size_t)w != f->len)
                        return nvcr_err_setsys(err, w < 0 ? errno : EIO, "%s/%s", m->target,
                                               f->name);
        }
        return 0;
}

static int apply_mask(struct live *l, size_t i)
{
        const struct plan_tmpfs *m = &l->p->masks[i];
        _cleanup_close_ int target = -EBADF, tree = -EBADF;
        struct statfs sf;
        int r;

        if (m->same_fs_as != NULL) {
                /* The driver's procfs directory: mask it only where the kernel made it. */
                target = in_root_open(l->rootfd, m->target, O_PATH | O_DIRECTORY, l->err);
                if (target == -ENOENT) {
                        log_debug(l->ctx, "%s: not in the container, nothing to mask", m->target);
                        nvcr_err_clear(l->err);
                        return 0;
                }
                if (target < 0)
                        return target;
                if (fstatfs(target, &sf) < 0)
                        return nvcr_err_setsys(l->err, errno, "%s", m->target);
                if ((long)sf.f_type != l->mask_fstype[i])
                        return nvcr_err_set(l->err, EXDEV,
                                            "%s: not the driver's procfs in the container "
                                            "(filesystem type %#lx, expected %#lx)",
                                            m->target, (unsigned long)sf.f_type,
                                            (unsigned long)l->mask_fstype[i]);
                l->proc_masked = true;
        } else {
                target = in_root_mkdir_p(l->rootfd, m->target, 0755, l->p->uid, l->p->gid,
                                         l->err);
                if (target < 0)
                        return target;
        }
        tree = tree_tmpfs(m->mode, l->err);
        if (tree < 0)
                return tree;
        if ((r = write_mask_files(tree, m, l->err)) < 0 ||
            (r = attach(l, tree, target, m->target)) < 0)
                return r;
        l->mask_trees[i] = steal_fd(&tree);
        return 0;
}

static int image_tree(struct live *l, const struct plan_mount *m)
{
        _cleanup_close_ int fd = in_root_open(l->rootfd, m->source, O_PATH | O_NOFOLLOW, l->err);
        int r;

        if (fd < 0)
                return fd;
        r = check_source(m, fd, l->err);
        return r < 0 ? r : tree_clone(fd, attrs_of(m->type), m->source, l->err);
}

static int apply_mount(struct live *l, size_t i)
{
        const struct plan_mount *m = &l->p->mounts[i];
        _cleanup_close_ int target = -EBADF;
        char dir[4096];
        const char *name = split(m->target, dir, sizeof(dir));
        int dfd, r;

        if (m->type == PLAN_MOUNT_PROC && !l->proc_masked)
                return 0;
        dfd = dir_fd(l, dir);
        if (dfd < 0)
                return dfd;
        target = in_root_mount_target(dfd, name, m->is_dir, l->p->uid, l->p->gid, l->err);
        if (target < 0)
                return nvcr_err_wrap(l->err, "%s", dir);
        if (m->type == PLAN_MOUNT_IMAGE_FILE) {
                r = image_tree(l, m);
                if (r < 0)
                        return r;
                l->trees[i] = r;
        }
        return attach(l, l->trees[i], target, m->target);
}

static int apply_symlinks(struct live *l)
{
        for (size_t i = 0; i < l->p->nsymlinks; i++) {
                const struct plan_symlink *s = &l->p->symlinks[i];
                char dir[4096];
                const char *name = split(s->path, dir, sizeof(dir));
                int dfd = dir_fd(l, dir), r;

                if (dfd < 0)
                        return dfd;
                r = in_root_symlink(dfd, name, s->target, l->p->uid, l->p->gid, l->err);
                if (r < 0)
                        return nvcr_err_wrap(l->err, "%s", dir);
                if (r == 1)
                        log_debug(l->ctx, "%s: a file of the image, left alone", s->path);
        }
        return 0;
}

static int apply_in_container(struct live *l)
{
        const struct nvcr_plan *p = l->p;
        int r;

        l->rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (l->rootfd < 0)
                return nvcr_err_setsys(l->err, errno, "%s: cannot open the rootfs", p->rootfs);
        if ((r = fd_path(l->rootfd, &l->rootpath, l->err)) < 0)
                return r;
        for (size_t i = 0; i < p->nmasks; i++)
                if ((r = apply_mask(l, i)) < 0)
                        return r;
        for (size_t i = 0; i < p->nmounts; i++)
                if ((r = apply_mount(l, i)) < 0)
                        return r;
        for (size_t i = 0; i < p->nmasks; i++)
                if (l->mask_trees[i] >= 0 &&
                    (r = tree_set_readonly(l->mask_trees[i], p->masks[i].target, l->err)) < 0)
                        return r;
        if ((r = apply_symlinks(l)) < 0)
                return r;
        log_debug(l->ctx, "mounts and symlinks done");
        if (l->ld_ready) {
                *l->phase = "ldcache";
                l->ld.join_ns = l->pidfd >= 0;
                l->ld.ns_pidfd = l->pidfd;
                r = ldconfig_run(&l->ld, l->rootpath, (const char *const *)p->ldconfig_dirs,
                                 p->nldconfig_dirs, p->uid, p->gid,
                                 (p->flags & NVCR_REQ_NO_PIVOT) != 0, l->err);
                if (r < 0)
                        return r;
                log_debug(l->ctx, "ldconfig done");
        }
        return 0;
}

static int apply_cgroups(struct live *l)
{
        const struct nvcr_plan *p = l->p;
        pid_t pid = p->pid > 0 ? p->pid : getppid();
        int r;

        if ((p->flags & NVCR_REQ_NO_CGROUPS) || p->nrules == 0)
                return 0;
        r = cgroup_allow_devices(pid, p->rules, p->nrules, l->err);
        return r < 0 ? nvcr_err_wrap(l->err, "failed to add device rules") : 0;
}

int nvcr_plan_apply(struct nvcr_ctx *ctx, const struct nvcr_plan *p, const char **phase,
                    struct nvcr_err *err)
{
        struct live l = {.ctx = ctx, .p = p, .phase = phase, .err = err, .pidfd = -1,
                         .hostns = -1, .rootfd = -1, .ld = {.memfd = -1}};
        const char *ignored;
        int r;

        if (l.phase == NULL)
                l.phase = &ignored;
        *l.phase = "mount";
        r = prepare(&l);
        log_debug(ctx, "prepared %zu mount trees", p->nmounts);
        if (r >= 0) {
                *l.phase = "container";
                r = join_container(&l);
        }
        if (r >= 0) {
                *l.phase = "mount";
                r = apply_in_container(&l);
                if (r < 0)
                        rollback(&l);
        }
        log_debug(ctx, "applied in the container: %zu mounts", l.nattached);
        /* Always back to the host namespace, also after a failure. */
        if (leave_container(&l) < 0 && r >= 0)
                r = -err->code;
        if (r >= 0) {
                *l.phase = "mount";
                r = apply_cgroups(&l);
                if (r < 0 && (p->pid <= 0 || setns(l.pidfd, CLONE_NEWNS) == 0)) {
                        rollback(&l);
                        (void)leave_container(&l);
                }
        }
        log_debug(ctx, "device cgroup done");
        live_clear(&l);
        return r < 0 ? r : 0;
}
