/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v2: device access is decided by the BPF_CGROUP_DEVICE programs
 * attached to the cgroup (and its ancestors), and all of them must allow.
 * Attaching one more program can therefore only narrow access; to add our
 * devices, every program attached to the container's cgroup is replaced by
 * one that first allows our rules and then runs the original instructions,
 * read back from the kernel (xlated), unchanged: their jumps are relative and
 * our prologue keeps r1 = ctx, so they behave as before for everything else.
 *
 * Only libbpf's low-level bpf.h wrappers are used (no object files, no BTF).
 * Ancestors' programs are left alone, as the reference does: the runtime
 * attaches to the container's own cgroup.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "apply/cgroup-parse.h"
#include "apply/cgroup.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/testpoint.h"

/* The verifier's limit for privileged programs (BPF_COMPLEXITY_LIMIT_INSNS). */
#define PROG_INSNS_MAX 1000000u
/* Jump offsets are 16 bits: the header jumps over every rule block. */
#define RULES_MAX 4096u
#define HEADER_LEN 9u
#define BLOCK_LEN 4u
/* BPF_REG_AX, the verifier's hidden register (constant blinding, sanitizing). */
#define REG_AX 11
/*
 * runc 1.1 loads its device filter with license "Apache" (devicefilter.go);
 * the license only decides access to GPL-only helpers, which we never call.
 */
#define PROG_LICENSE "Apache-2.0"
#define PROG_NAME "nvcr_devices"

#define INSN(c, d, s, o, i)                                                                        \
        ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

static struct bpf_insn header_insn(size_t i, size_t end)
{
        const struct bpf_insn h[HEADER_LEN] = {
                /* r0 = marker: lets a later run find and merge our rules. */
                INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, CGROUP_BPF_MARKER),
                /* w2 = access_type = access << 16 | type */
                INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0),
                INSN(BPF_ALU | BPF_MOV | BPF_X, 3, 2, 0, 0),
                INSN(BPF_ALU | BPF_AND | BPF_K, 3, 0, 0, 0xffff),
                INSN(BPF_ALU | BPF_RSH | BPF_K, 2, 0, 0, 16),
                /* only char devices, only read and/or write (never mknod) */
                INSN(BPF_JMP32 | BPF_JNE | BPF_K, 3, 0, (__s16)(end - 6), BPF_DEVCG_DEV_CHAR),
                INSN(BPF_JMP32 | BPF_JSET | BPF_K, 2, 0, (__s16)(end - 7),
                     (__s32) ~(BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)),
                /* w4 = major, w5 = minor */
                INSN(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0),
                INSN(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0),
        };

        return h[i];
}

static struct bpf_insn block_insn(size_t i, const struct plan_devrule *r)
{
        const struct bpf_insn b[BLOCK_LEN] = {
                /* on a mismatch, on to the next block (or the original program) */
                INSN(BPF_JMP32 | BPF_JNE | BPF_K, 4, 0, 3, (__s32)r->major),
                INSN(BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, 2, (__s32)r->minor),
                INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
                INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        };

        return b[i];
}

static bool insn_eq(const struct bpf_insn *a, const struct bpf_insn *b)
{
        return a->code == b->code && a->dst_reg == b->dst_reg && a->src_reg == b->src_reg &&
               a->off == b->off && a->imm == b->imm;
}

size_t cgroup_bpf_prologue_parse(const struct bpf_insn *insns, size_t n,
                                 struct plan_devrule **ret, size_t *ret_n)
{
        _cleanup_free_ struct plan_devrule *rules = NULL;
        size_t end, nrules;

        *ret = NULL;
        *ret_n = 0;
        if (n < HEADER_LEN || insns[5].off < 0)
                return 0;
        end = 6 + (size_t)insns[5].off;
        if (end < HEADER_LEN + BLOCK_LEN || end > n || (end - HEADER_LEN) % BLOCK_LEN != 0)
                return 0;
        for (size_t i = 0; i < HEADER_LEN; i++) {
                struct bpf_insn want = header_insn(i, end);

                if (!insn_eq(&insns[i], &want))
                        return 0;
        }
        nrules = (end - HEADER_LEN) / BLOCK_LEN;
        rules = calloc(nrules, sizeof(*rules));
        if (rules == NULL)
                return 0; /* not merging only costs a second prologue */
        for (size_t k = 0; k < nrules; k++) {
                const struct bpf_insn *b = &insns[HEADER_LEN + k * BLOCK_LEN];

                rules[k].major = (unsigned)b[0].imm;
                rules[k].minor = (unsigned)b[1].imm;
                for (size_t i = 0; i < BLOCK_LEN; i++) {
                        struct bpf_insn want = block_insn(i, &rules[k]);

                        if (!insn_eq(&b[i], &want))
                                return 0;
                }
        }
        *ret = steal_ptr(&rules);
        *ret_n = nrules;
        return end;
}

static bool has_rule(const struct plan_devrule *rules, size_t n, const struct plan_devrule *r)
{
        for (size_t i = 0; i < n; i++)
                if (rules[i].major == r->major && rules[i].minor == r->minor)
                        return true;
        return false;
}

/* Whether the kernel would take `insns[i]` back; -ENOTSUP with the reason if not. */
static int check_reloadable(const struct bpf_insn *insns, size_t n, struct nvcr_err *err)
{
        for (size_t i = 0; i < n; i++) {
                const struct bpf_insn *in = &insns[i];

                if (in->dst_reg >= REG_AX || in->src_reg >= REG_AX)
                        return nvcr_err_set(err, ENOTSUP,
                                            "instruction %zu uses the verifier's hidden register: "
                                            "the program was rewritten by constant blinding "
                                            "(net.core.bpf_jit_harden=2) and cannot be loaded "
                                            "again",
                                            i);
                if (in->code == (BPF_JMP | BPF_CALL))
                        return nvcr_err_set(err, ENOTSUP,
                                            "instruction %zu is a call: programs calling helpers, "
                                            "kfuncs or subprograms cannot be rebuilt",
                                            i);
                if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
                        if (in->src_reg != 0)
                                return nvcr_err_set(err, ENOTSUP,
                                                    "instruction %zu references a map or kernel "
                                                    "object: such programs cannot be rebuilt",
                                                    i);
                        i++; /* the second half of the 64-bit immediate */
                }
        }
        return 0;
}

int cgroup_bpf_patch(const struct bpf_insn *old, size_t nold, const struct plan_devrule *rules,
                     size_t nrules, struct bpf_insn **ret, size_t *ret_n, struct nvcr_err *err)
{
        _cleanup_free_ struct plan_devrule *merged = NULL;
        _cleanup_free_ struct bpf_insn *out = NULL;
        size_t skip, nmerged = 0, nout, end;
        bool added = false;
        int r;

        skip = cgroup_bpf_prologue_parse(old, nold, &merged, &nmerged);
        r = check_reloadable(old + skip, nold - skip, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < nrules; i++) {
                struct plan_devrule *grown;

                if (has_rule(merged, nmerged, &rules[i]))
                        continue;
                if (nmerged >= RULES_MAX)
                        return nvcr_err_set(err, E2BIG, "more than %u device rules", RULES_MAX);
                grown = realloc(merged, (nmerged + 1) * sizeof(*merged));
                if (grown == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                merged = grown;
                merged[nmerged++] = rules[i];
                added = true;
        }
        if (!added)
                return 1;
        end = HEADER_LEN + nmerged * BLOCK_LEN;
        if (nold - skip > PROG_INSNS_MAX - end)
                return nvcr_err_set(err, E2BIG, "the program would exceed %u instructions",
                                    PROG_INSNS_MAX);
        nout = end + (nold - skip);
        out = calloc(nout, sizeof(*out));
        if (out == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < HEADER_LEN; i++)
                out[i] = header_insn(i, end);
        for (size_t k = 0; k < nmerged; k++)
                for (size_t i = 0; i < BLOCK_LEN; i++)
                        out[HEADER_LEN + k * BLOCK_LEN + i] = block_insn(i, &merged[k]);
        memcpy(out + end, old + skip, (nold - skip) * sizeof(*out));
        *ret = steal_ptr(&out);
        *ret_n = nout;
        return 0;
}

/* The ids of the programs attached to (not inherited by) the cgroup. */
static int query_progs(int dirfd, __u32 *ret_flags, __u32 **ret_ids, __u32 *ret_n,
                       struct nvcr_err *err)
{
        _cleanup_free_ __u32 *ids = NULL;
        __u32 cap = 16;

        for (;;) {
                __u32 cnt = cap, flags = 0;
                __u32 *grown = realloc(ids, cap * sizeof(*ids));
                int r;

                if (grown == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                ids = grown;
                r = bpf_prog_query(dirfd, BPF_CGROUP_DEVICE, 0, &flags, ids, &cnt);
                if (r == -ENOSPC && cnt > cap && cap < 65536) {
                        cap = cnt;
                        continue;
                }
                if (r == -EPERM)
                        return nvcr_err_setsys(err, EPERM,
                                               "querying the device programs of the cgroup "
                                               "(needs CAP_NET_ADMIN and CAP_SYS_ADMIN in the "
                                               "initial user namespace)");
                if (r < 0)
                        return nvcr_err_setsys(err, r, "querying the device programs of the cgroup");
                *ret_flags = flags;
                *ret_n = cnt;
                *ret_ids = steal_ptr(&ids);
                return 0;
        }
}

/* The instructions of an attached program as the kernel holds them (xlated). */
static int read_insns(int progfd, __u32 id, struct bpf_insn **ret, size_t *ret_n,
                      struct nvcr_err *err)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        struct bpf_prog_info info;
        __u32 len = sizeof(info), bytes;
        int r;

        memset(&info, 0, sizeof(info));
        r = bpf_obj_get_info_by_fd(progfd, &info, &len);
        if (r < 0)
                return nvcr_err_setsys(err, r, "reading the info of program id %u", id);
        if (info.type != BPF_PROG_TYPE_CGROUP_DEVICE)
                return nvcr_err_set(err, EINVAL, "program id %u has type %u, not cgroup device",
                                    id, info.type);
        bytes = info.xlated_prog_len;
        /* The kernel reports length 0 to callers without CAP_BPF/CAP_SYS_ADMIN. */
        if (bytes == 0 || bytes % sizeof(struct bpf_insn) != 0)
                return nvcr_err_set(err, EPERM,
                                    "the instructions of program id %u cannot be read (length %u;"
                                    " needs CAP_SYS_ADMIN)",
                                    id, bytes);
        insns = calloc(bytes / sizeof(struct bpf_insn), sizeof(struct bpf_insn));
        if (insns == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        memset(&info, 0, sizeof(info));
        info.xlated_prog_len = bytes;
        info.xlated_prog_insns = (__u64)(uintptr_t)insns;
        len = sizeof(info);
        r = bpf_obj_get_info_by_fd(progfd, &info, &len);
        if (r < 0)
                return nvcr_err_setsys(err, r, "reading the instructions of program id %u", id);
        /*
         * A blinded program (net.core.bpf_jit_harden) is not dumped to callers
         * that may not see kernel addresses: the kernel clears the pointer.
         */
        if (info.xlated_prog_insns == 0)
                return nvcr_err_set(err, ENOTSUP,
                                    "the kernel does not dump the instructions of program id %u: "
                                    "it was JIT-compiled with constant blinding "
                                    "(net.core.bpf_jit_harden=2, or kernel.kptr_restrict hides "
                                    "them); set net.core.bpf_jit_harden=0 or 1 before the "
                                    "container starts",
                                    id);
        if (info.xlated_prog_len != bytes)
                return nvcr_err_set(err, EIO, "program id %u changed size while being read", id);
        *ret = steal_ptr(&insns);
        *ret_n = bytes / sizeof(struct bpf_insn);
        return 0;
}

static int load_prog(const struct bpf_insn *insns, size_t n, __u32 old_id, struct nvcr_err *err)
{
        LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1);
        _cleanup_free_ char *log = NULL;
        const size_t log_size = 1u << 20;
        char *last, *p;
        int fd, first;

        fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, PROG_NAME, PROG_LICENSE, insns, n, NULL);
        if (fd >= 0)
                return fd;
        if (fd != -EACCES && fd != -EINVAL)
                return nvcr_err_setsys(err, fd, "loading the replacement of program id %u%s",
                                       old_id, fd == -EPERM ? " (needs CAP_SYS_ADMIN or CAP_BPF)"
                                                            : "");
        first = fd;
        /* The verifier refused it: load again with a log for the reason. */
        log = calloc(1, log_size);
        if (log == NULL)
                return nvcr_err_setsys(err, fd, "loading the replacement of program id %u",
                                       old_id);
        opts.log_buf = log;
        opts.log_size = (__u32)log_size;
        fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, PROG_NAME, PROG_LICENSE, insns, n, &opts);
        if (fd >= 0)
                return fd;
        /* ENOSPC: the log did not fit, and its end is not the reason. */
        if (fd == -ENOSPC)
                return nvcr_err_setsys(err, first,
                                       "the verifier refused the replacement of program id %u",
                                       old_id);
        /* The last non-empty line of the log says why. */
        for (p = log + strlen(log); p > log && (p[-1] == '\n' || p[-1] == ' '); p--)
                p[-1] = '\0';
        last = strrchr(log, '\n');
        last = last != NULL ? last + 1 : log;
        return nvcr_err_setsys(err, fd,
                               "the verifier refused the replacement of program id %u (%s)",
                               old_id, last[0] != '\0' ? last : "no log");
}

struct swap {
        int old_fd;
        int new_fd;
        bool done;
};

static void swaps_close(struct swap *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                closep(&s[i].old_fd);
                closep(&s[i].new_fd);
        }
}

/*
 * Puts the original programs back after a failed attachment (a program
 * detached meanwhile), so that a failure leaves the cgroup as it was rather
 * than half done. Best effort: a half-done state can only deny more than
 * intended, never allow more, since every program must allow.
 */
static void rollback(int dirfd, __u32 flags, struct swap *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                LIBBPF_OPTS(bpf_prog_attach_opts, opts, .flags = flags | BPF_F_REPLACE,
                            .replace_prog_fd = s[i].new_fd);

                if (s[i].done)
                        (void)bpf_prog_attach_opts(s[i].old_fd, dirfd, BPF_CGROUP_DEVICE, &opts);
        }
}

/* Phase 1 for one attached program: its replacement, loaded (or none needed). */
static int prepare(struct swap *s, __u32 id, const struct plan_devrule *rules, size_t n,
                   struct nvcr_err *err)
{
        _cleanup_free_ struct bpf_insn *insns = NULL, *patched = NULL;
        size_t ninsns = 0, npatched = 0;
        int r;

        s->old_fd = bpf_prog_get_fd_by_id(id);
        if (s->old_fd < 0)
                return nvcr_err_setsys(err, s->old_fd, "getting an fd for device program id %u%s",
                                       id, s->old_fd == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
        r = read_insns(s->old_fd, id, &insns, &ninsns, err);
        if (r < 0)
                return r;
        r = cgroup_bpf_patch(insns, ninsns, rules, n, &patched, &npatched, err);
        if (r < 0)
                return nvcr_err_wrap(err, "device program id %u", id);
        if (r == 1) /* our prologue there already allows all of them */
                return 0;
        s->new_fd = load_prog(patched, npatched, id, err);
        return s->new_fd < 0 ? s->new_fd : 0;
}

static int allow_on(int dirfd, const struct plan_devrule *rules, size_t n, struct nvcr_err *err)
{
        _cleanup_free_ struct swap *swaps = NULL;
        _cleanup_free_ __u32 *ids = NULL;
        __u32 flags = 0, nids = 0;
        bool multi;
        int r;

        r = query_progs(dirfd, &flags, &ids, &nids, err);
        if (r < 0)
                return r;
        /* No program, no restriction: nothing to allow. */
        if (nids == 0)
                return 0;
        multi = (flags & BPF_F_ALLOW_MULTI) != 0;
        if (!multi && nids > 1)
                return nvcr_err_set(err, EINVAL,
                                    "%u device programs attached without BPF_F_ALLOW_MULTI", nids);
        swaps = calloc(nids, sizeof(*swaps));
        if (swaps == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < nids; i++)
                swaps[i].old_fd = swaps[i].new_fd = -EBADF;
        /*
         * Every replacement is built and loaded before any is attached, so
         * that a program we cannot rebuild leaves the cgroup untouched.
         */
        for (size_t i = 0; i < nids && r >= 0; i++)
                r = prepare(&swaps[i], ids[i], rules, n, err);
        if (r >= 0)
                test_pause("cgroup-v2-attach");
        for (size_t i = 0; i < nids && r >= 0; i++) {
                LIBBPF_OPTS(bpf_prog_attach_opts, opts, .flags = flags);

                if (swaps[i].new_fd < 0)
                        continue;
                /*
                 * With BPF_F_ALLOW_MULTI the new program takes the old one's
                 * place in the list; without it, attaching with the same flags
                 * replaces the one program there is. The flags must stay those
                 * of the cgroup, or the kernel refuses (EPERM).
                 */
                if (multi) {
                        opts.flags |= BPF_F_REPLACE;
                        opts.replace_prog_fd = swaps[i].old_fd;
                }
                r = bpf_prog_attach_opts(swaps[i].new_fd, dirfd, BPF_CGROUP_DEVICE, &opts);
                if (r < 0) {
                        r = nvcr_err_setsys(err, r,
                                            "attaching the replacement of device program id %u "
                                            "(flags 0x%x)%s",
                                            ids[i], opts.flags,
                                            r == -ENOENT ? ": it is no longer attached, or is "
                                                           "attached through a bpf_link"
                                            : r == -EINVAL && multi
                                                    ? " (BPF_F_REPLACE needs Linux 5.6)"
                                                    : "");
                        break;
                }
                swaps[i].done = true;
        }
        if (r < 0 && multi)
                rollback(dirfd, flags, swaps, nids);
        swaps_close(swaps, nids);
        return r < 0 ? r : 0;
}

int cgroup_v2_allow(int cgfd, const struct plan_devrule *rules, size_t n, struct nvcr_err *err)
{
        _cleanup_close_ int dirfd = -EBADF;
        char path[PATH_MAX];
        int r;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (rules[i].major > 0xfff || rules[i].minor > 0xfffff)
                        return nvcr_err_set(err, EINVAL, "invalid device number %u:%u",
                                            rules[i].major, rules[i].minor);
        cgroup_fd_path(cgfd, path, sizeof(path));
        /* cgfd is O_PATH; the bpf commands want the directory opened for real. */
        dirfd = openat(cgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return nvcr_err_setsys(err, errno, "opening the cgroup %s", path);
        r = allow_on(dirfd, rules, n, err);
        return r < 0 ? nvcr_err_wrap(err, "cgroup %s", path) : 0;
}
