/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of the device-cgroup code, declared here so that the unit
 * tests reach them without a kernel: the /proc/<pid>/cgroup and mountinfo
 * parsers, and the rewrite of a BPF_CGROUP_DEVICE program.
 */
#ifndef NVCR_APPLY_CGROUP_PARSE_H
#define NVCR_APPLY_CGROUP_PARSE_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>

#include "apply/cgroup.h"
#include "nvcr.h"
#include "plan/plan.h"

/*
 * A pid's cgroups as /proc/<pid>/cgroup gives them: the path in the v1
 * hierarchy whose controller list holds "devices", and the "0::" (v2) path.
 * Either may be NULL. Both passed cgroup_path_check.
 */
struct cgroup_paths {
        char *devices;
        char *unified;
};

void cgroup_paths_done(struct cgroup_paths *p);

/*
 * Parses the text of /proc/<pid>/cgroup. Malformed lines and paths that fail
 * cgroup_path_check are -EINVAL with the line number in the message.
 */
int cgroup_parse_proc(const char *text, struct cgroup_paths *ret, struct nvcr_err *err);

/*
 * A cgroup path must be absolute, and no component may be "." or ".." (a
 * process outside our cgroup namespace shows up as "/../.."); empty
 * components ("//") are refused too. -EINVAL otherwise.
 */
int cgroup_path_check(const char *path, struct nvcr_err *err);

/* A cgroupfs mount from mountinfo; root and mountpoint are unescaped. */
struct cgroup_mount {
        int mnt_id;
        unsigned dev_major;
        unsigned dev_minor;
        char *root;       /* the hierarchy path mounted there, "/" for the whole tree */
        char *mountpoint; /* where, in our mount namespace */
};

void cgroup_mount_done(struct cgroup_mount *m);

/*
 * Finds, in mountinfo text, the cgroup mount of version `ver` (v1: fstype
 * "cgroup" with the "devices" super option; v2: fstype "cgroup2") whose root
 * holds `cgpath`, and the path of the cgroup relative to the mount point
 * ("." for the mount root itself). Of several, the one with the shortest
 * root wins; a mount hidden by a later one on the same mount point does not
 * count. -ENOENT: no mount of that kind at all; -EXDEV: there are some, but
 * none holds cgpath; -EINVAL: a malformed line.
 */
int cgroup_find_mount(const char *mountinfo, enum cgroup_version ver, const char *cgpath,
                      struct cgroup_mount *ret, char **ret_rel, struct nvcr_err *err);

/*
 * Our prologue for BPF_CGROUP_DEVICE programs: allows every char device in
 * `rules` for read and write (never mknod) and otherwise falls through to
 * the instructions that follow it. r1 (the context) is left intact; r0 and
 * r2-r5 are clobbered.
 */
#define CGROUP_BPF_MARKER 0x6e766372 /* "nvcr": first instruction, r0 = marker */

/*
 * Builds the program that replaces `old` (xlated instructions of an attached
 * program): our prologue with `rules` followed by `old` unchanged. When
 * `old` already starts with our prologue, its rules are kept, the new ones
 * added (no duplicates) and the old prologue dropped, so applying twice does
 * not stack prologues. Returns 1 and sets nothing when every rule is already
 * allowed by the existing prologue, 0 with *ret (malloc'd) otherwise.
 * Refuses (-ENOTSUP, naming the instruction) what cannot be loaded again:
 * helper and subprogram calls, map references, and the hidden register of
 * constant blinding.
 */
int cgroup_bpf_patch(const struct bpf_insn *old, size_t nold, const struct plan_devrule *rules,
                     size_t nrules, struct bpf_insn **ret, size_t *ret_n, struct nvcr_err *err);

/*
 * If `insns` starts with our prologue, the rules it allows (malloc'd, maybe
 * zero of them with *ret = NULL) and the length of the prologue; 0 if not ours.
 */
size_t cgroup_bpf_prologue_parse(const struct bpf_insn *insns, size_t n,
                                 struct plan_devrule **ret, size_t *ret_n);

/* cgroup_open_for_pid's last step, exposed for the tests: opens `rel` beneath
 * the mount fd (openat2 RESOLVE_BENEATH|NO_SYMLINKS|NO_MAGICLINKS|NO_XDEV, or
 * an O_NOFOLLOW component walk staying on the mount's device where openat2 is
 * missing). `force_walk` skips openat2. */
int cgroup_open_beneath(int mntfd, const char *rel, bool force_walk, struct nvcr_err *err);

/* The path of an fd for messages ("?" if unknown); never fails. */
void cgroup_fd_path(int fd, char *buf, size_t size);

#endif
